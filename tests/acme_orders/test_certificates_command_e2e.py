"""`manage.py certificates` drives a whole issuance: request, show what to publish,
verify, save, export a PKCS#12 (against Pebble, BIND9 and a real worker)."""

import io
import time

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import CommandError, call_command

from acme_orders.models import CertificateRequest
from certlife.models import AuditEvent
from tests.acme_orders.e2e_helpers import PATIENCE_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run(*args) -> str:
    output = io.StringIO()
    call_command("certificates", *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def wait_for_status(request_id: int, statuses: set[str], seconds: float = PATIENCE_SECONDS) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = CertificateRequest.objects.get(pk=request_id).status
        if status in statuses:
            return status
        time.sleep(0.3)
    raise AssertionError(f"request {request_id} stayed {status}")


def test_command_line_issuance(celery_worker, pebble_account, bind_dns, tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("cli-store-pass\n")
    request_id = int(
        run(
            "request", "--account", pebble_account.name, "--domain", "cli.example.com",
            "--challenge", "dns-01", "--keystore", "PKCS12",
            "--keystore-password-file", str(password_file),
        )
    )  # fmt: skip
    deadline = time.monotonic() + PATIENCE_SECONDS
    while "_acme-challenge" not in (shown := run("show", str(request_id))):
        assert time.monotonic() < deadline, shown
        time.sleep(0.3)
    txt_line = next(line for line in shown.splitlines() if "_acme-challenge" in line)
    _, _, _, txt_name, txt_value = txt_line.split("\t")
    bind_dns.add_txt(txt_name, txt_value)
    try:
        run("verify", str(request_id))
        assert wait_for_status(request_id, {"available", "failed"}) == "available"
    finally:
        bind_dns.delete_txt(txt_name)

    certificate_id = run("save", str(request_id)).strip()
    assert f"{certificate_id}\tactive\t" in run("list")
    output = tmp_path / "cli.p12"
    run("export", certificate_id, "--format", "pkcs12", "--include-key", "--output", str(output))
    assert oct(output.stat().st_mode & 0o777) == "0o600"
    key, leaf, _chain = pkcs12.load_key_and_certificates(output.read_bytes(), b"cli-store-pass")
    assert key is not None and leaf is not None
    assert set(AuditEvent.objects.filter(source="cli").values_list("action", flat=True)) >= {
        "request.create", "request.verify", "certificate.save", "certificate.export",
    }  # fmt: skip


def test_refusals_are_plain_messages(pebble_account):
    with pytest.raises(CommandError, match="domains: .*needs the DNS-01 challenge"):
        run("request", "--account", pebble_account.name, "--domain", "*.example.com")
    with pytest.raises(CommandError, match="No single ACME account"):
        run("request", "--account", "nope", "--domain", "a.example.com")
    with pytest.raises(CommandError, match="No certificate numbered"):
        run("export", "999", "--output", "/tmp/never-written.pem")
