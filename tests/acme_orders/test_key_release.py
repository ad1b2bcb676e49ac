"""Keys leave only with permission (spec P2, S1): every channel that sends a certificate
(UI export and email, API export and email, the command line) asks the same question
of the same gate, and a refusal is audited as denied, naming the recipient."""

import pytest
from django.core.management import CommandError, call_command

from certlife.models import AuditEvent
from tests.factories import make_acme_account, make_issued_request, make_repository_certificate

pytestmark = pytest.mark.django_db

RECIPIENT = "customer@example.org"


@pytest.fixture
def issued():
    return make_issued_request(make_acme_account(), keystore_type="PKCS12")


def email_through_the_ui(client, user, issued, **extra):
    client.force_login(user)
    url = f"/acme/letsencrypt/requests/{issued.pk}/email/"
    return client.post(url, {"to": RECIPIENT, **extra})


def email_through_the_api(api_as, user, issued, **extra):
    url = f"/api/v1/requests/{issued.pk}/email/"
    return api_as(user).post(url, {"to": RECIPIENT, **extra}, format="json")


def assert_refused_and_audited(mailoutbox, user, action="certificate.email"):
    event = AuditEvent.objects.get(action=action)
    assert event.outcome == "denied" and event.actor == user
    assert event.detail["recipient"] == RECIPIENT and event.detail["include_key"] is True
    assert mailoutbox == []


def test_an_operator_emails_certificate_and_chain_without_the_key(
    client, run_with_tasks, mailoutbox, operator, issued
):
    response = run_with_tasks(lambda: email_through_the_ui(client, operator, issued))
    assert response.status_code == 302
    (message,) = mailoutbox
    (filename, content, _type) = message.attachments[0]
    assert message.to == [RECIPIENT] and filename.endswith("-bundle.pem")
    assert b"BEGIN CERTIFICATE" in content and b"PRIVATE KEY" not in content
    event = AuditEvent.objects.get(action="certificate.email")
    assert event.outcome == "success"
    assert event.detail == {"recipient": RECIPIENT, "include_key": False, "format": "pem-bundle"}


def test_an_operator_cannot_email_the_key_from_the_ui(
    client, run_with_tasks, mailoutbox, operator, issued
):
    response = run_with_tasks(
        lambda: email_through_the_ui(client, operator, issued, include_key="on")
    )
    assert response.status_code == 403
    assert_refused_and_audited(mailoutbox, operator)


def test_an_operator_cannot_email_the_key_through_the_api(
    api_as, run_with_tasks, mailoutbox, operator, issued
):
    response = run_with_tasks(
        lambda: email_through_the_api(api_as, operator, issued, include_key=True)
    )
    assert response.status_code == 403
    assert_refused_and_audited(mailoutbox, operator)


def test_an_operator_cannot_email_the_key_from_the_command_line(
    run_with_tasks, mailoutbox, operator, issued
):
    arguments = ["--as-user", operator.username, "email", str(issued.pk), "--to", RECIPIENT]
    with pytest.raises(CommandError, match="export_private_key"):
        run_with_tasks(lambda: call_command("certificates", *arguments, "--include-key"))
    assert_refused_and_audited(mailoutbox, operator)


def test_an_administrator_emails_the_key_through_the_api(
    api_as, run_with_tasks, mailoutbox, administrator, issued
):
    response = run_with_tasks(
        lambda: email_through_the_api(api_as, administrator, issued, include_key=True)
    )
    assert response.status_code == 202
    assert response.json() == {"to": RECIPIENT, "include_key": True, "format": "pkcs12"}
    (message,) = mailoutbox
    assert message.attachments[0][0].endswith(".p12")


def test_bad_addresses_are_refused_before_anything_is_sent(
    api_as, run_with_tasks, mailoutbox, administrator, issued
):
    api = api_as(administrator)
    url = f"/api/v1/requests/{issued.pk}/email/"
    response = run_with_tasks(lambda: api.post(url, {"to": "not-an-address"}, format="json"))
    assert response.status_code == 400 and "to" in response.json()
    with pytest.raises(CommandError, match="not an email address"):
        call_command("certificates", "email", str(issued.pk), "--to", "nobody")
    assert mailoutbox == [] and not AuditEvent.objects.filter(action="certificate.email")


def test_an_operator_cannot_download_the_key_from_the_ui(client, operator, administrator, issued):
    url = f"/acme/letsencrypt/requests/{issued.pk}/export/"
    body = {"format": "pem", "include_key": "on"}
    client.force_login(operator)
    assert client.post(url, body).status_code == 403
    event = AuditEvent.objects.get(action="certificate.export")
    assert event.outcome == "denied" and event.detail["recipient"] == operator.username
    client.force_login(administrator)
    allowed = client.post(url, body)
    assert allowed.status_code == 200 and b"PRIVATE KEY" in allowed.content


def test_the_key_choice_is_offered_only_to_those_who_may_use_it(
    client, operator, administrator, issued
):
    url = f"/acme/letsencrypt/requests/{issued.pk}/"
    client.force_login(operator)
    page = client.get(url).content.decode()
    assert 'name="to"' in page and 'name="include_key"' not in page
    client.force_login(administrator)
    page = client.get(url).content.decode()
    assert page.count('name="include_key"') == 2  # export and email


def test_the_command_line_checks_the_user_it_acts_for(auditor, tmp_path):
    certificate = make_repository_certificate(["cli.example.com"])
    output = tmp_path / "cert.pem"
    with pytest.raises(CommandError, match="export_certificate"):
        call_command(
            "certificates", "--as-user", auditor.username, "export", str(certificate.pk),
            "--output", str(output),
        )  # fmt: skip
    assert not output.exists()
    call_command("certificates", "export", str(certificate.pk), "--output", str(output))
    event = AuditEvent.objects.filter(action="certificate.export").latest("id")
    assert event.outcome == "success" and event.detail["recipient"] == f"file {output}"
