"""Request input rules and role checks through the API (no CA needed: every refusal
happens before an order exists)."""

import jks
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from accounts.choices import AccountStatus
from acme_orders.actions import email_certificate
from acme_orders.models import CertificateRequest
from acme_orders.tasks import send_certificate_email
from certlife.models import AuditEvent
from tests.factories import make_acme_account, make_issued_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return make_acme_account()


def body(account, **overrides):
    return {
        "account": account.pk,
        "domains": ["www.example.com"],
        "challenge_type": "http-01",
        "key_algorithm": "EC",
        "key_size": 256,
        "signature_algorithm": "SHA256withECDSA",
        "keystore_type": "PEM",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"domains": ["*.example.com"]}, "domains", "needs the DNS-01 challenge"),
        ({"domains": ["intranet.corp"]}, "domains", "public suffix"),
        ({"domains": []}, "domains", "at least 1"),
        (
            {"key_size": 1024, "key_algorithm": "RSA", "signature_algorithm": "SHA256withRSA"},
            "key_size",
            "2048",
        ),
        ({"signature_algorithm": "SHA256withRSA"}, "key_size", "does not go with EC"),
        ({"keystore_type": "PKCS12"}, "keystore_password", "required"),
        ({"key_policy": "import"}, "imported_key_pem", "Paste the private key"),
        ({"key_policy": "import", "imported_key_pem": "nonsense"}, "imported_key_pem", "not a PEM"),
        (
            {"use_builtin_http_responder": True, "challenge_type": "dns-01"},
            "use_builtin_http_responder",
            "HTTP-01 only",
        ),
        ({"challenge_type": "tls-alpn-01"}, "challenge_type", "not a valid choice"),
        (
            {"profile": "tlsserver", "domains": [f"n{i}.example.com" for i in range(26)]},
            "domains",
            "At most 25",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    api_as, operator, account, overrides, field, words
):
    response = api_as(operator).post("/api/v1/requests/", body(account, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert words in " ".join(str(m) for m in response.json()[field])
    assert not CertificateRequest.objects.exists()


def test_the_account_key_cannot_be_imported_as_certificate_key(api_as, operator, account):
    response = api_as(operator).post(
        "/api/v1/requests/",
        body(account, key_policy="import", imported_key_pem=account.key_pem),
        format="json",
    )
    assert response.status_code == 400
    assert "account key" in response.json()["imported_key_pem"][0]
    assert account.key_pem.splitlines()[1] not in response.content.decode()


def test_a_deactivated_account_is_refused(api_as, operator, account):
    account.status = AccountStatus.DEACTIVATED
    account.save()
    response = api_as(operator).post("/api/v1/requests/", body(account), format="json")
    assert response.status_code == 400 and "deactivated" in response.json()["account"][0]


def test_roles(api_as, operator, auditor, account):
    assert (
        api_as(auditor).post("/api/v1/requests/", body(account), format="json").status_code == 403
    )
    created = api_as(operator).post("/api/v1/requests/", body(account), format="json")
    assert created.status_code == 201
    assert api_as(auditor).get(f"/api/v1/requests/{created.json()['id']}/").status_code == 200
    # Secrets never come back.
    assert (
        "keystore_password" not in created.json() and "private_key" not in created.content.decode()
    )


def test_verify_and_save_refuse_requests_in_the_wrong_state(api_as, operator, account):
    request_id = (
        api_as(operator).post("/api/v1/requests/", body(account), format="json").json()["id"]
    )
    api = api_as(operator)
    verify = api.post(f"/api/v1/requests/{request_id}/verify/")
    assert verify.status_code == 400 and "status" in verify.json()
    assert api.post(f"/api/v1/requests/{request_id}/new-challenge/").status_code == 400


@pytest.mark.parametrize(
    ("keystore", "include_key", "suffix"),
    [
        ("PEM", False, "-bundle.pem"),
        ("PEM", True, "-bundle.pem"),
        ("PKCS12", False, "-bundle.pem"),
        ("PKCS12", True, ".p12"),
        ("JKS", False, "-bundle.pem"),
        ("JKS", True, ".jks"),
    ],
)
def test_email_attaches_the_keystore_type_only_with_the_key(
    mailoutbox, run_with_tasks, account, administrator, keystore, include_key, suffix
):
    """With the key: the keystore type of the request. Without: certificate and chain."""
    request = make_issued_request(account, keystore_type=keystore)
    run_with_tasks(
        lambda: email_certificate(
            request, actor=administrator, to="someone@example.org", include_key=include_key
        )
    )
    (message,) = mailoutbox
    (filename, content, _type) = message.attachments[0]
    assert message.to == ["someone@example.org"] and filename.endswith(suffix)
    assert "store-pass-9" not in message.body
    assert (keystore_private_key(content, keystore) is not None) is include_key
    event = AuditEvent.objects.get(action="certificate.email")
    assert event.detail["recipient"] == "someone@example.org"
    assert event.detail["include_key"] is include_key


def keystore_private_key(content: bytes, keystore: str):
    """The private key an attachment holds, or None."""
    if content.startswith(b"-----"):
        return content if b"PRIVATE KEY" in content else None
    if keystore == "PKCS12":
        return pkcs12.load_key_and_certificates(content, b"store-pass-9")[0]
    return next(iter(jks.KeyStore.loads(content, "store-pass-9").private_keys.values()), None)


def test_the_email_task_sends_what_it_was_told(mailoutbox, account):
    """The decision is the action's: the task does not add the key on its own."""
    request = make_issued_request(account, keystore_type="PKCS12")
    send_certificate_email(request.pk, "x@example.org", export_format="pkcs12", include_key=False)
    (filename, content, _type) = mailoutbox[0].attachments[0]
    assert filename.endswith(".p12") and keystore_private_key(content, "PKCS12") is None
