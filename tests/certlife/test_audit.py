import pytest
from rest_framework.authtoken.models import Token

from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome
from certlife.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_api_token_actions_are_audited_with_where_they_came_from(client, operator):
    client.force_login(operator)
    response = client.post("/profile/", {"action": "create"}, REMOTE_ADDR="192.0.2.7")
    token = Token.objects.get(user=operator)
    assert token.key in response.content.decode()  # shown once, at creation
    assert token.key not in client.get("/profile/").content.decode()

    event = AuditEvent.objects.get(action="api_token.create")
    assert (event.actor, event.actor_name, event.source) == (
        operator,
        operator.username,
        "192.0.2.7",
    )
    assert token.key not in str(event.detail)

    client.post("/profile/", {"action": "revoke"})
    assert not Token.objects.filter(user=operator).exists()
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_events_outlive_their_actor(operator):
    record_audit_event("thing.do", actor=operator)
    operator.delete()
    event = AuditEvent.objects.get(action="thing.do")
    assert event.actor is None and event.actor_name == "oscar-operator"


def test_audit_log_filters_in_the_ui_and_the_api(client, api_as, auditor, operator):
    record_audit_event("account.register", actor=operator)
    record_audit_event("account.register", actor=auditor, outcome=AuditOutcome.FAILURE)
    record_audit_event("request.create", actor=operator)

    client.force_login(auditor)
    page = client.get("/audit/", {"action": "account", "outcome": "failure"}).content.decode()
    assert page.count("account.register") == 1 and "request.create" not in page

    api = api_as(auditor)
    body = api.get("/api/v1/audit-events/", {"actor": "oscar"}).json()
    assert body["count"] == 2
    assert {row["action"] for row in body["results"]} == {"account.register", "request.create"}
    bad = client.get("/audit/", {"since": "not-a-date"})
    assert bad.status_code == 200 and "Enter a valid date" in bad.content.decode()


def test_audit_events_cannot_be_edited_in_admin(client, administrator):
    event = record_audit_event("x.y", actor=administrator)
    client.force_login(administrator)
    response = client.post(f"/admin/certlife/auditevent/{event.id}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(id=event.id).exists()
