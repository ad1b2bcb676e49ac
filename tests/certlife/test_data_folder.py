"""The embedded default's data folder is owner-only (folders 0700, files 0600), also
when it was left looser, and the files certlife creates later are born owner-only."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
# A shell's usual umask: what `make run` may inherit; certlife must not rely on it.
USUAL_UMASK = 0o022


def manage(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "SECRET_KEY", "CERTLIFE_", "DJANGO_", "EMAIL_"))
    }
    env["CERTLIFE_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=USUAL_UMASK,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def write(path: Path, content: str, file_mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(file_mode)
    return path


def test_a_loose_data_folder_is_tightened_at_start_up(tmp_path):
    data = tmp_path / "data"
    loose_files = [
        write(data / "certlife.sqlite3", "", 0o644),
        write(data / "certlife.sqlite3-wal", "", 0o644),
        write(data / "certlife.sqlite3-shm", "", 0o666),
        write(data / "celery-broker.sqlite3", "", 0o644),
        write(data / "celerybeat-schedule", "", 0o755),
        write(data / "django-secret-key", "k" * 50, 0o644),
        write(data / "secret-keys", Fernet.generate_key().decode(), 0o644),
        write(data / "outbox" / "20260101-000000-1.log", "Subject: expiry\n", 0o644),
        write(data / "collected-static" / "css" / "app.css", "body {}", 0o644),
    ]
    unrelated = write(data / "notes.txt", "not certlife's", 0o644)
    loose_folders = [
        data,
        data / "outbox",
        data / "collected-static",
        data / "collected-static" / "css",
    ]
    for folder in loose_folders:
        folder.chmod(0o755)

    manage("check", data_dir=data)

    assert {str(path): oct(mode(path)) for path in loose_files} == {
        str(path): "0o600" for path in loose_files
    }
    assert {str(path): oct(mode(path)) for path in loose_folders} == {
        str(path): "0o700" for path in loose_folders
    }
    assert mode(unrelated) == 0o644, "only certlife's own entries are touched"


def test_files_created_later_are_owner_only(tmp_path):
    data = tmp_path / "data"
    manage("sendtestemail", "someone@example.com", data_dir=data)
    outbox = data / "outbox"
    [mail] = list(outbox.iterdir())
    assert (mode(data), mode(outbox), mode(mail)) == (0o700, 0o700, 0o600)

    # The WAL files exist while a connection is open: the process reports them itself.
    report = manage(
        "shell",
        "--no-imports",
        "-c",
        "import os\n"
        "from django.conf import settings\n"
        "from django.db import connection\n"
        "connection.cursor().execute('CREATE TABLE probe (x int)')\n"
        "name = settings.DATABASES['default']['NAME']\n"
        "for suffix in ('', '-wal', '-shm'):\n"
        "    print(suffix or 'db', oct(os.stat(f'{name}{suffix}').st_mode & 0o777))\n",
        data_dir=data,
    )
    assert report.stdout.split() == ["db", "0o600", "-wal", "0o600", "-shm", "0o600"], report.stdout
    assert mode(data / "collected-static") == 0o700
