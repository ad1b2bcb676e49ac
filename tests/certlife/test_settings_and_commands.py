import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command

from certlife.roles import ADMINISTRATOR, role_of

REPO = Path(__file__).resolve().parents[2]


def run_manage(*args, env_extra: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "SECRET_KEY", "CERTLIFE_", "DJANGO_"))
    }
    env.update({"CERTLIFE_DATA_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        env_extra={
            "SECRET_KEY": Fernet.generate_key().decode() * 2,
            "CERTLIFE_SECRET_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "certlife.example.com",
            "CERTLIFE_HTTPS": "true",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/certlife",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_embedded_default_creates_its_keys_with_0600(tmp_path):
    result = run_manage("check", tmp_path=tmp_path, env_extra={})
    assert result.returncode == 0, result.stderr
    for name in ("secret-keys", "django-secret-key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
        assert (tmp_path / name).read_text().strip() not in result.stderr + result.stdout
    assert "created a new fernet key" in result.stderr


def test_bad_environment_values_name_the_variable(tmp_path):
    bundle = run_manage(
        "check", tmp_path=tmp_path, env_extra={"REQUESTS_CA_BUNDLE": "/nonexistent.pem"}
    )
    assert bundle.returncode != 0 and "REQUESTS_CA_BUNDLE" in bundle.stderr
    flag = run_manage("check", tmp_path=tmp_path, env_extra={"CERTLIFE_HTTPS": "maybe"})
    assert flag.returncode != 0 and "maybe" in flag.stderr


@pytest.mark.django_db
def test_first_administrator_from_environment_then_left_alone(monkeypatch, capsys):
    monkeypatch.setenv("CERTLIFE_ADMIN_PASSWORD", "Given-pass-12345")
    call_command("create_first_administrator")
    admin = get_user_model().objects.get(username="admin")
    assert role_of(admin) == ADMINISTRATOR and admin.check_password("Given-pass-12345")
    assert "Given-pass-12345" not in capsys.readouterr().out

    monkeypatch.setenv("CERTLIFE_ADMIN_PASSWORD", "Other-pass-67890")
    call_command("create_first_administrator")
    admin.refresh_from_db()
    assert admin.check_password("Given-pass-12345")
    assert "left as it is" in capsys.readouterr().out


@pytest.mark.django_db
def test_first_administrator_with_random_password_printed_once(monkeypatch, capsys):
    monkeypatch.delenv("CERTLIFE_ADMIN_PASSWORD", raising=False)
    call_command("create_first_administrator")
    output = capsys.readouterr().out
    password = output.split("with password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)


def test_generate_secret_key_prints_a_usable_key(capsys):
    call_command("generate_secret_key")
    Fernet(capsys.readouterr().out.strip().encode())


def test_a_command_given_a_binary_key_file_says_so(tmp_path):
    from django.core.management.base import CommandError

    from certlife.management.action_command import read_text_file

    der = tmp_path / "key.der"
    der.write_bytes(b"\x30\x82\x04\xa4\x02\x01\x00\xff\xfe")
    with pytest.raises(CommandError, match="is not UTF-8 text: give a PEM file"):
        read_text_file(str(der), "key")
