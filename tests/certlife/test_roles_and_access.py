import pytest
from django.contrib.auth.models import Group

from acme_orders.models import Certificate
from certlife.roles import ADMINISTRATOR, AUDITOR, OPERATOR, role_of
from tests.factories import make_acme_account, make_issued_request

pytestmark = pytest.mark.django_db

PAGES = ["/", "/certificates/", "/audit/", "/profile/"]


def group_permissions(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_role_groups_carry_their_permissions():
    administrator = group_permissions(ADMINISTRATOR)
    auditor = group_permissions(AUDITOR)
    operator = group_permissions(OPERATOR)

    assert {"acme_orders.export_private_key", "auth.add_user"} <= administrator
    assert all(p.split(".")[1].startswith("view_") for p in auditor)
    assert "certlife.view_auditevent" in auditor
    assert "certlife.view_auditevent" not in operator
    assert {
        "acme_orders.view_certificate",
        "acme_orders.export_certificate",
        "acme_orders.add_certificate",
        "acme_orders.renew_certificate",
    } <= operator
    assert "acme_orders.export_private_key" not in operator
    assert "auth.add_user" not in operator


@pytest.mark.parametrize("page", PAGES)
def test_every_page_requires_login(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_api_requires_authentication(api_client):
    assert api_client.get("/api/v1/audit-events/").status_code == 401
    assert api_client.get("/api/v1/schema/").status_code == 401


def test_token_and_session_authenticate_the_api(api_as, api_client, auditor):
    assert api_as(auditor).get("/api/v1/audit-events/").status_code == 200
    api_client.force_login(auditor)
    assert api_client.get("/api/v1/audit-events/").status_code == 200


def test_auditor_reads_the_audit_log_and_operator_does_not(client, api_as, auditor, operator):
    client.force_login(auditor)
    assert client.get("/audit/").status_code == 200
    client.force_login(operator)
    assert client.get("/audit/").status_code == 403
    assert api_as(operator).get("/api/v1/audit-events/").status_code == 403


def test_navigation_shows_only_what_the_role_may_use(client, auditor, operator):
    client.force_login(auditor)
    page = client.get("/").content.decode()
    assert 'href="/audit/"' in page and 'href="/certificates/"' in page
    client.force_login(operator)
    page = client.get("/").content.decode()
    assert 'href="/audit/"' not in page and 'href="/certificates/"' in page


def test_user_without_role_sees_no_data(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get("/certificates/").status_code == 403
    assert "none (ask an administrator for a role)" in client.get("/profile/").content.decode()
    dashboard = client.get("/").content.decode()
    assert "Background work" not in dashboard and "Certificates by status" not in dashboard


def test_operator_saves_to_the_repository(client, api_as, operator):
    account = make_acme_account()
    through_api = make_issued_request(account, domains=["api.example.com"])
    answer = api_as(operator).post(f"/api/v1/requests/{through_api.pk}/save/")
    assert answer.status_code == 200
    assert Certificate.objects.get(pk=answer.json()["certificate"]).common_name == "api.example.com"

    through_ui = make_issued_request(account, domains=["ui.example.com"])
    client.force_login(operator)
    page = client.get(f"/acme/letsencrypt/requests/{through_ui.pk}/").content.decode()
    assert "Save to repository" in page
    client.post(f"/acme/letsencrypt/requests/{through_ui.pk}/save/")
    assert Certificate.objects.filter(common_name="ui.example.com").exists()


def test_role_of(administrator, operator, auditor, no_role_user):
    assert [role_of(u) for u in (administrator, operator, auditor, no_role_user)] == [
        ADMINISTRATOR,
        OPERATOR,
        AUDITOR,
        None,
    ]


def test_login_and_logout(client, operator):
    response = client.post("/login/", {"username": operator.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    response = client.post(
        "/login/", {"username": operator.username, "password": operator.raw_password}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302
