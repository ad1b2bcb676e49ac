"""Users, groups, permissions and everything changed in Django admin are audited like
every other write (spec S2), from admin, the password page, management commands or a
shell; no password and no hash ever reaches the audit log."""

import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from certlife.admin import AuditedAdmin
from certlife.models import AuditEvent
from dns_providers.models import DnsAccount

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-Passphrase-42"


def events(prefix: str = "") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith=prefix).order_by("id"))


def assert_no_secret_in_the_log(*secrets: str) -> None:
    logged = json.dumps(list(AuditEvent.objects.values("detail", "target_label", "actor_name")))
    for secret in secrets:
        assert secret not in logged


def test_every_admin_page_is_audited():
    not_audited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdmin)
    ]
    assert not_audited == []


def test_a_user_added_in_admin(client, administrator, django_user_model):
    client.force_login(administrator)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newcomer", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
         "usable_password": "true"},
        REMOTE_ADDR="192.0.2.10",
    )  # fmt: skip
    assert response.status_code == 302, response.content
    newcomer = django_user_model.objects.get(username="newcomer")

    created, added = events("user.create")[-1], events("admin.add")[-1]
    assert (created.actor, created.target_id, created.source) == (
        administrator,
        str(newcomer.pk),
        "192.0.2.10",
    )
    assert created.detail["username"] == "newcomer" and created.detail["is_staff"] is False
    assert added.actor == administrator and added.detail["model"] == "auth.User"
    assert_no_secret_in_the_log(NEW_PASSWORD, newcomer.password)


def test_a_user_changed_in_admin(client, administrator, operator):
    auditors = Group.objects.get(name="auditor")
    client.force_login(administrator)
    page = client.get(f"/admin/auth/user/{operator.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        is_staff="on", email="oscar@new.example", groups=[g.pk for g in operator.groups.all()]
    )
    data["groups"].append(auditors.pk)
    data.pop("user_permissions", None)
    data.pop("is_superuser", None)
    data.pop("password", None)
    data.update({"last_login_0": "", "last_login_1": "", "date_joined_0": "2025-01-01",
                 "date_joined_1": "10:00:00"})  # fmt: skip
    response = client.post(f"/admin/auth/user/{operator.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    (changed,) = events("user.change")
    assert changed.actor == administrator
    assert changed.detail["changes"] == {
        "email": ["oscar-operator@example.com", "oscar@new.example"],
        "is_staff": [False, True],
    }
    (membership,) = [e for e in events("user.groups_change") if e.actor == administrator]
    assert membership.target_id == str(operator.pk) and membership.detail == {"added": ["auditor"]}
    (admin_change,) = events("admin.change")
    assert "Staff status" in json.dumps(admin_change.detail["changes"])


def test_a_password_changed_in_admin(client, administrator, operator):
    old_hash = operator.password
    client.force_login(administrator)
    response = client.post(
        f"/admin/auth/user/{operator.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    operator.refresh_from_db()
    (changed,) = events("user.password_change")
    assert changed.actor == administrator and changed.target_id == str(operator.pk)
    assert changed.detail == {"usable": True}
    assert not events("user.change")
    assert_no_secret_in_the_log(NEW_PASSWORD, old_hash, operator.password)


def test_users_deleted_in_admin_one_by_one_and_in_bulk(client, administrator, django_user_model):
    doomed = [django_user_model.objects.create_user(username=f"doomed-{n}") for n in range(3)]
    client.force_login(administrator)
    client.post(f"/admin/auth/user/{doomed[0].pk}/delete/", {"post": "yes"})
    client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [u.pk for u in doomed[1:]],
         "post": "yes"},
    )  # fmt: skip
    assert not django_user_model.objects.filter(username__startswith="doomed").exists()
    deleted = {(e.target_label, e.actor_name) for e in events("user.delete")}
    in_admin = {(e.target_label, e.actor_name) for e in events("admin.delete")}
    expected = {(u.username, administrator.username) for u in doomed}
    assert deleted == in_admin == expected


def test_group_permissions_changed_in_admin(client, administrator):
    client.force_login(administrator)
    renew = Permission.objects.get(codename="renew_certificate")
    export = Permission.objects.get(codename="export_certificate")
    client.post("/admin/auth/group/add/", {"name": "renewers", "permissions": [renew.pk]})
    renewers = Group.objects.get(name="renewers")
    client.post(
        f"/admin/auth/group/{renewers.pk}/change/",
        {"name": "renewers-and-exporters", "permissions": [export.pk]},
    )
    renewer_events = [e for e in events("group.") if e.target_id == str(renewers.pk)]
    assert [(e.action, e.detail) for e in renewer_events] == [
        ("group.create", {"name": "renewers"}),
        ("group.permissions_change", {"added": ["acme_orders.renew_certificate"]}),
        ("group.change", {"changes": {"name": ["renewers", "renewers-and-exporters"]}}),
        ("group.permissions_change", {"removed": ["acme_orders.renew_certificate"]}),
        ("group.permissions_change", {"added": ["acme_orders.export_certificate"]}),
    ]
    assert {e.actor for e in renewer_events} == {administrator}
    client.post(f"/admin/auth/group/{renewers.pk}/delete/", {"post": "yes"})
    assert events("group.delete")[-1].target_label == "renewers-and-exporters"


def test_changes_from_either_side_of_a_relation_name_the_user_or_group(operator, auditor):
    auditors = Group.objects.get(name="auditor")
    auditors.user_set.add(operator)
    assert events("user.groups_change")[-1].target_id == str(operator.pk)
    assert events("user.groups_change")[-1].detail == {"added": ["auditor"]}
    auditors.user_set.clear()
    removed = {e.target_id: e.detail for e in events("user.groups_change")[-2:]}
    assert removed == {
        str(operator.pk): {"removed": ["auditor"]},
        str(auditor.pk): {"removed": ["auditor"]},
    }
    delete_token = Permission.objects.get(codename="delete_token")
    operator.user_permissions.add(delete_token)
    assert events("user.permissions_change")[-1].detail == {"added": ["authtoken.delete_token"]}
    delete_token.group_set.add(auditors)
    assert events("group.permissions_change")[-1].target_label == "auditor"


def test_the_password_page_records_who_changed_their_password(client, operator):
    client.force_login(operator)
    response = client.post(
        "/password/",
        {"old_password": operator.raw_password, "new_password1": NEW_PASSWORD,
         "new_password2": NEW_PASSWORD},
        REMOTE_ADDR="192.0.2.20",
    )  # fmt: skip
    assert response.status_code == 302
    (changed,) = events("user.password_change")
    assert (changed.actor, changed.source) == (operator, "192.0.2.20")
    assert_no_secret_in_the_log(NEW_PASSWORD, operator.raw_password)


def test_logging_in_is_not_a_user_change(client, operator):
    before = AuditEvent.objects.count()
    client.post("/login/", {"username": operator.username, "password": operator.raw_password})
    assert client.get("/profile/").status_code == 200
    assert AuditEvent.objects.count() == before


def test_createsuperuser_and_a_shell_are_audited_as_the_system(
    monkeypatch, django_user_model, capsys
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@example.com")
    root = django_user_model.objects.get(username="root")
    (created,) = events("user.create")
    assert created.actor_name == "system" and created.detail["is_superuser"] is True

    root.set_password("Another-Passphrase-43")
    root.is_active = False
    root.save()
    assert [e.action for e in events("user.")] == [
        "user.create",
        "user.change",
        "user.password_change",
    ]
    assert_no_secret_in_the_log(NEW_PASSWORD, "Another-Passphrase-43", root.password)
    root.delete()
    assert events("user.delete")[0].target_label == "root"


def test_other_models_changed_in_admin(client, administrator):
    account = DnsAccount.objects.create(provider="cloudflare", name="CF", credentials="{}")
    client.force_login(administrator)
    response = client.post(
        f"/admin/dns_providers/dnsaccount/{account.pk}/change/",
        {"name": "Cloudflare", "enabled": "on"},
    )
    assert response.status_code == 302
    (changed,) = events("admin.change")
    assert changed.target_id == str(account.pk)
    assert changed.detail == {"model": "dns_providers.DnsAccount",
                              "changes": [{"changed": {"fields": ["Name"]}}]}  # fmt: skip


def test_tokens_are_not_made_in_admin(client, administrator, operator):
    """A token's admin pages would be titled by its key: users make their own token on
    their profile page, and admin only lists who holds one."""
    client.force_login(administrator)
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": operator.pk})
    assert response.status_code in (403, 404)
    assert not Token.objects.filter(user=operator).exists()
    assert events("admin.add") == []
