"""Revocation at a real Pebble (docs/features.md X1): with the ACME account that was
issued the certificate, and, once that account is gone from certlife, with the
certificate's own key (RFC 8555 section 7.6). Pebble's management API says Revoked."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.actions import delete_account
from acme_orders import actions
from acme_orders.models import Certificate, CertificateVersion
from certlife.models import AuditEvent
from tests.acme_orders.e2e_helpers import InProcessWorker, issue_manually, new_request
from tests.factories import make_repository_certificate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """The test advances its requests itself; no Celery worker may take them."""
    return InProcessWorker(monkeypatch)


def issue_and_save(worker, pebble, account, actor, names) -> Certificate:
    request = new_request(account, actor, names)
    issued = issue_manually(worker, pebble, request, actor=actor)
    return actions.save_to_repository(issued, actor=actor)


def status_at_pebble(pebble, certificate: Certificate) -> str:
    return pebble.cert_status(certificate.current_version.serial_number)["Status"]


def test_revoke_with_the_account_key_through_the_api(
    worker, pebble, pebble_account, administrator, operator, api_as
):
    certificate = issue_and_save(
        worker, pebble, pebble_account, administrator, ["revoke-api.example.com"]
    )
    assert status_at_pebble(pebble, certificate) == "Valid"
    api = api_as(administrator)
    url = f"/api/v1/certificates/{certificate.pk}/revoke/"

    # Operators may not revoke; a bad reason is a 400 naming `reason`, and nothing is sent.
    assert api_as(operator).post(url, {"reason": "superseded"}, format="json").status_code == 403
    bad = api.post(url, {"reason": "boredom"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["reason"]
    assert status_at_pebble(pebble, certificate) == "Valid"

    answer = api.post(url, {"reason": "superseded"}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["revocation_reason"]) == ("revoked", "superseded")
    assert body["revoked_at"]
    assert status_at_pebble(pebble, certificate) == "Revoked"
    event = AuditEvent.objects.get(action="certificate.revoke", outcome="success")
    assert event.detail["signed_with"] == f"the ACME account {pebble_account.name}"
    assert event.detail["serial"] == certificate.current_version.serial_number

    # Revoked: never renewed again, and a second revocation is refused in plain words.
    renew = api.post(f"/api/v1/certificates/{certificate.pk}/renew/")
    assert renew.status_code == 400 and "revoked" in renew.json()["status"][0]
    again = api.post(url, {"reason": "superseded"}, format="json")
    assert again.status_code == 400 and again.json() == {
        "status": ["This certificate is already revoked."]
    }


def test_revoke_with_the_certificate_key_once_the_account_is_deleted(
    worker, pebble, pebble_account, administrator
):
    certificate = issue_and_save(
        worker, pebble, pebble_account, administrator, ["revoke-key.example.com"]
    )
    # The version records its CA's directory when saved (the renewal engine's save
    # fills it on its branch; set here so this test stands on its own).
    CertificateVersion.objects.filter(pk=certificate.current_version_id).update(
        directory_url=pebble_account.directory_url
    )
    # Deleting the account locally needs its requests gone first (they protect it).
    certificate.requests.all().delete()
    delete_account(pebble_account, actor=administrator)

    output = io.StringIO()
    call_command(
        "certificates", "revoke", str(certificate.pk), "--reason", "keyCompromise", stdout=output
    )
    assert "Revoked revoke-key.example.com at the CA (keyCompromise)." in output.getvalue()
    assert status_at_pebble(pebble, certificate) == "Revoked"
    certificate.refresh_from_db()
    assert (certificate.status, certificate.revocation_reason) == ("revoked", "keyCompromise")
    event = AuditEvent.objects.get(action="certificate.revoke", outcome="success")
    assert (event.source, event.detail["signed_with"]) == ("cli", "the certificate's own key")


def test_a_ca_refusal_is_shown_in_plain_words_and_nothing_changes(
    pebble, pebble_account, administrator, client
):
    """A certificate Pebble never issued: the CA refuses, the page says so, the
    certificate stays active, and the failure is audited."""
    certificate = make_repository_certificate(["never-issued.example.com"])
    CertificateVersion.objects.filter(pk=certificate.current_version_id).update(
        account=pebble_account
    )
    client.force_login(administrator)
    answer = client.post(f"/certificates/{certificate.pk}/revoke/", {"reason": "unspecified"})
    assert answer.status_code == 400
    page = answer.content.decode()
    host = pebble_account.directory_url.split("/")[2]
    assert f"The CA at {host} refused the request: " in page
    certificate.refresh_from_db()
    assert certificate.status == "active"
    failure = AuditEvent.objects.get(action="certificate.revoke")
    assert failure.outcome == "failure" and "refused the request" in failure.detail["error"]

    with pytest.raises(CommandError, match="refused the request"):
        call_command(
            "certificates", "revoke", str(certificate.pk), "--reason", "unspecified",
            stdout=io.StringIO(),
        )  # fmt: skip
