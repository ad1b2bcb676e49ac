"""Manual renewal through the API and the command line at a real Pebble (docs/features.md
N1, N2, N5, R5): Renew starts a request for the same names and settings; once issued it
is Renewed (available, with its certificate) and waits for Save; saving adds a second
version to the history; the key policy decides whether the key changes."""

import io

import pytest
from django.core.management import call_command

from acme_orders import actions
from tests.acme_orders.e2e_helpers import InProcessWorker, issue_manually, new_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    """The test advances its requests itself; no Celery worker may take them."""
    return InProcessWorker(monkeypatch)


@pytest.mark.parametrize("key_policy", ["same", "new"])
def test_renew_through_the_api_waits_for_save_and_honours_the_key_policy(
    key_policy, worker, pebble, pebble_account, operator, api_as
):
    names = [f"renew-{key_policy}.example.com", f"www.renew-{key_policy}.example.com"]
    first = issue_manually(
        worker, pebble, new_request(pebble_account, operator, names, key_policy=key_policy),
        actor=operator,
    )  # fmt: skip
    certificate = actions.save_to_repository(first, actor=operator)
    api = api_as(operator)

    started = api.post(f"/api/v1/certificates/{certificate.pk}/renew/")
    assert started.status_code == 201, started.content
    renewal = started.json()
    assert (renewal["certificate"], renewal["domains"]) == (certificate.pk, names)
    assert renewal["key_policy"] == key_policy

    issue_manually(worker, pebble, first.__class__.objects.get(pk=renewal["id"]), actor=operator)
    body = api.get(f"/api/v1/requests/{renewal['id']}/").json()
    # Renewed: issued for this certificate, and not saved until someone saves it (N5).
    assert (body["status"], body["certificate"]) == ("available", certificate.pk)
    assert len(api.get(f"/api/v1/certificates/{certificate.pk}/versions/").json()) == 1

    saved = api.post(f"/api/v1/requests/{renewal['id']}/save/")
    assert saved.json() == {"certificate": certificate.pk}
    versions = api.get(f"/api/v1/certificates/{certificate.pk}/versions/").json()
    assert len(versions) == 2
    newest, oldest = versions
    assert newest["serial_number"] != oldest["serial_number"]
    assert newest["created_by_name"] == oldest["created_by_name"] == operator.username
    detail = api.get(f"/api/v1/certificates/{certificate.pk}/").json()
    assert detail["current_version"]["id"] == newest["id"]
    same_key = newest["key_fingerprint"] == oldest["key_fingerprint"]
    assert same_key is (key_policy == "same")

    history = io.StringIO()
    call_command("certificates", "history", str(certificate.pk), stdout=history)
    lines = history.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"*{newest['id']}\t{newest['serial_number']}\t")
    assert lines[1].startswith(f" {oldest['id']}\t{oldest['serial_number']}\t")
    assert oldest["key_fingerprint"] in lines[1]


def test_renew_from_the_command_line(worker, pebble, pebble_account, administrator):
    first = issue_manually(
        worker, pebble, new_request(pebble_account, administrator, ["renew-cli.example.com"]),
        actor=administrator,
    )  # fmt: skip
    certificate = actions.save_to_repository(first, actor=administrator)
    output, notes = io.StringIO(), io.StringIO()
    call_command("certificates", "renew", str(certificate.pk), stdout=output, stderr=notes)
    renewal_id = int(output.getvalue())
    assert f"certificates save {renewal_id}" in notes.getvalue()
    renewal = first.__class__.objects.get(pk=renewal_id)
    assert renewal.certificate_id == certificate.pk
    issue_manually(worker, pebble, renewal, actor=administrator)
    call_command("certificates", "save", str(renewal_id), stdout=io.StringIO())
    assert certificate.versions.count() == 2
