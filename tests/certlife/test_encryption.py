import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from acme_orders.models import CertificateVersion
from certlife.encryption import SecretDecryptionError, decrypt_text, encrypt_text
from certlife.logging import RedactSecretsFilter
from tests.factories import make_key_pem, make_repository_certificate

pytestmark = pytest.mark.django_db


def stored_private_key(version_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key_pem FROM acme_orders_certificateversion WHERE id = %s", [version_id]
        )
        return cursor.fetchone()[0]


def test_secret_column_holds_ciphertext_and_reads_back_plain():
    key_pem = make_key_pem()
    certificate = make_repository_certificate(["www.example.com"], key_pem=key_pem)
    version = certificate.current_version

    assert "PRIVATE KEY" not in stored_private_key(version.id)
    assert CertificateVersion.objects.get(id=version.id).private_key_pem == key_pem


def test_rotation_reencrypts_with_the_newest_key_and_old_key_can_go(settings):
    old_key = settings.CERTLIFE_SECRET_KEYS[0]
    key_pem = make_key_pem()
    version = make_repository_certificate(["a.example.com"], key_pem=key_pem).current_version
    before = stored_private_key(version.id)

    new_key = Fernet.generate_key().decode()
    settings.CERTLIFE_SECRET_KEYS = [new_key, old_key]
    call_command("rotate_secret_keys")
    after = stored_private_key(version.id)
    assert after != before

    settings.CERTLIFE_SECRET_KEYS = [new_key]
    assert CertificateVersion.objects.get(id=version.id).private_key_pem == key_pem
    with pytest.raises(SecretDecryptionError):
        decrypt_text(before)  # what was stored before rotation needed the old key


def test_unknown_key_gives_a_clear_error_without_the_secret(settings):
    token = encrypt_text("hunter2-secret")
    settings.CERTLIFE_SECRET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretDecryptionError) as raised:
        decrypt_text(token)
    assert "CERTLIFE_SECRET_KEYS" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_malformed_key_names_the_setting(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CERTLIFE_SECRET_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="CERTLIFE_SECRET_KEYS"):
        encrypt_text("x")


def test_known_secret_never_appears_in_database_logs_or_pages(
    client, api_as, administrator, caplog
):
    caplog.set_level(logging.DEBUG)  # everything certlife logs while saving and showing it
    key_pem = make_key_pem()
    key_body = key_pem.splitlines()[1]
    certificate = make_repository_certificate(["secret.example.com"], key_pem=key_pem)
    version = certificate.current_version

    # The database: every text column of every table, read raw.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and key_body in v for v in row), table

    client.force_login(administrator)
    pages = [
        "/",
        "/certificates/",
        f"/admin/acme_orders/certificateversion/{version.id}/change/",
        "/admin/acme_orders/certificateversion/",
        f"/admin/acme_orders/certificate/{certificate.id}/change/",
        "/audit/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert key_body not in response.content.decode(), page
    api = api_as(administrator)
    assert key_body not in api.get("/api/v1/audit-events/").content.decode()

    # Logs: a library that logs a private key is redacted by the console handler's filter.
    record = logging.LogRecord(
        "acme.client", logging.DEBUG, __file__, 1, "sent %s", (key_pem,), None
    )
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    ]
    assert handlers, "the console log handler must carry RedactSecretsFilter"
    assert handlers[0].filter(record)
    assert key_body not in handlers[0].format(record)
    assert "[private key redacted]" in handlers[0].format(record)
    assert key_body not in caplog.text
