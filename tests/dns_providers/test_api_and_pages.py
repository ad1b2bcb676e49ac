"""Manage >> DNS through the API and the pages: roles, validation, write-only
credentials, Test connection in a worker, audit."""

import json
import logging

import pytest
from django.urls import reverse

from certlife.celery import app as celery_app
from certlife.models import AuditEvent
from dns_providers.models import DnsAccount

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/dns-accounts/"
TOKEN = "cf-secret-token-value-0123456789"


def create_cloudflare(client, **overrides):
    body = {"provider": "cloudflare", "name": "Cloudflare", "enabled": True,
            "credentials": {"api_token": TOKEN}, **overrides}  # fmt: skip
    return client.post(LIST_URL, body, format="json")


def test_create_read_edit_delete_without_ever_showing_the_secret(api_as, administrator, caplog):
    caplog.set_level(logging.DEBUG)
    client = api_as(administrator)
    created = create_cloudflare(client)
    assert created.status_code == 201, created.content
    account_url = f"{LIST_URL}{created.json()['id']}/"
    assert created.json()["credentials_summary"] == {
        "api_token": "********", "email": "", "api_key": "",
    }  # fmt: skip

    renamed = client.patch(
        account_url, {"name": "CF", "credentials": {"api_token": ""}}, format="json"
    )
    assert renamed.status_code == 200
    account = DnsAccount.objects.get()
    assert account.name == "CF"
    assert account.credential_values()["api_token"] == TOKEN  # blank secret: unchanged

    answers = [created, renamed, client.get(LIST_URL), client.get(account_url)]
    assert all(TOKEN not in answer.content.decode() for answer in answers)

    assert client.delete(account_url).status_code == 204
    assert not DnsAccount.objects.exists()
    events = AuditEvent.objects.filter(action__startswith="dns_account.").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["dns_account.create", "dns_account.update", "dns_account.delete"]
    assert TOKEN not in json.dumps(list(AuditEvent.objects.values("detail", "target_label")))
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"provider": "dynu"}, {"provider"}),
        ({"credentials": {}}, {"credentials.email", "credentials.api_key"}),
        ({"credentials": {"email": "x@example.com"}}, {"credentials.api_key"}),
        ({"credentials": "not-an-object"}, {"credentials"}),
        ({"credentials": None}, {"credentials"}),
        ({"credentials": {"api_token": TOKEN, "password": "x"}}, {"credentials"}),
        ({"name": ""}, {"name"}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, administrator, body, errors):
    answer = create_cloudflare(api_as(administrator), **body)
    assert answer.status_code == 400
    assert set(answer.json()) == errors


def test_credential_errors_name_the_credential(api_as, administrator):
    answer = create_cloudflare(api_as(administrator), credentials={"email": "x@example.com"})
    assert answer.json() == {"credentials.api_key": ["Required when no API token is given."]}

    rfc2136 = {"server": "ns1.example.com", "key_name": "k", "key_secret": "c2VjcmV0",
               "algorithm": "hmac-md4"}  # fmt: skip
    answer = create_cloudflare(api_as(administrator), provider="rfc2136", credentials=rfc2136)
    assert answer.status_code == 400
    assert list(answer.json()) == ["credentials.algorithm"]


def test_one_account_per_provider(api_as, administrator):
    client = api_as(administrator)
    assert create_cloudflare(client).status_code == 201
    second = create_cloudflare(client, name="Another")
    assert second.status_code == 400
    assert second.json() == {"provider": ["A DNS account for Cloudflare already exists."]}


def test_an_unknown_provider_is_refused_by_the_action(api_as, administrator):
    answer = create_cloudflare(api_as(administrator), provider="nosuch")
    assert answer.status_code == 400
    assert answer.json()["provider"][0].startswith("Unknown provider 'nosuch'; one of: ")
    assert not DnsAccount.objects.exists()


def test_provider_cannot_change(api_as, administrator):
    client = api_as(administrator)
    account_id = create_cloudflare(client).json()["id"]
    answer = client.patch(f"{LIST_URL}{account_id}/", {"provider": "route53"}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"provider"}


def test_operators_and_auditors_read_only(api_as, administrator, operator, auditor):
    account_id = create_cloudflare(api_as(administrator)).json()["id"]
    for user in (operator, auditor):
        client = api_as(user)
        assert client.get(LIST_URL).json()["count"] == 1
        assert create_cloudflare(client, name="x").status_code == 403
        assert (
            client.patch(f"{LIST_URL}{account_id}/", {"name": "x"}, format="json").status_code
            == 403
        )
        assert client.post(f"{LIST_URL}{account_id}/test/").status_code == 403
        assert client.delete(f"{LIST_URL}{account_id}/").status_code == 403


@pytest.mark.e2e
def test_test_connection_through_the_api(
    api_as, administrator, cloudflare_under_test, run_with_tasks
):
    client = api_as(administrator)
    good = create_cloudflare(client, credentials=cloudflare_under_test.credentials).json()
    answer = run_with_tasks(lambda: client.post(f"{LIST_URL}{good['id']}/test/"))
    assert answer.status_code == 202
    result = client.get(f"{LIST_URL}{good['id']}/").json()["last_test"]
    assert result["status"] == "passed"
    assert result["message"] == "credentials accepted; 63 zone(s) visible"

    client.patch(f"{LIST_URL}{good['id']}/", {"credentials": {"api_token": "wrong"}}, format="json")
    run_with_tasks(lambda: client.post(f"{LIST_URL}{good['id']}/test/"))
    result = client.get(f"{LIST_URL}{good['id']}/").json()["last_test"]
    assert result["status"] == "failed"
    assert result["message"].startswith("Cloudflare: HTTP 401: 1000: Invalid API Token")
    outcomes = AuditEvent.objects.filter(action="dns_account.test_connection_result")
    assert sorted(outcomes.values_list("outcome", flat=True)) == ["failure", "success"]


def test_pages_add_edit_and_never_render_the_secret(client, administrator):
    client.force_login(administrator)
    page = client.get(reverse("dns-account-list"))
    assert b"Add a DNS account" in page.content
    assert b'class="tabs"' in page.content

    form = {"name": "BIND", "enabled": "on", "server": "ns1.example.com", "port": "53",
            "key_name": "certlife", "key_secret": "c2VjcmV0LXNlY3JldA==",
            "algorithm": "hmac-sha256", "zone": ""}  # fmt: skip
    answer = client.post(reverse("dns-account-add", args=["rfc2136"]), form)
    assert answer.status_code == 302
    account = DnsAccount.objects.get()

    for url in (reverse("dns-account-list"), reverse("dns-account-edit", args=[account.pk])):
        assert b"c2VjcmV0LXNlY3JldA==" not in client.get(url).content

    edited = client.post(
        reverse("dns-account-edit", args=[account.pk]),
        {**form, "key_secret": "", "port": "5353"},
    )
    assert edited.status_code == 302
    account.refresh_from_db()
    assert account.credential_values()["port"] == "5353"
    assert account.credential_values()["key_secret"] == "c2VjcmV0LXNlY3JldA=="

    bad = client.post(reverse("dns-account-edit", args=[account.pk]), {**form, "port": "x"})
    assert bad.status_code == 200
    assert b"A port number from 1 to 65535, in the digits 0-9." in bad.content

    client.post(reverse("dns-account-disable", args=[account.pk]))
    account.refresh_from_db()
    assert not account.enabled

    client.post(reverse("dns-account-delete", args=[account.pk]))
    assert not DnsAccount.objects.exists()


@pytest.mark.e2e
def test_test_connection_button_runs_in_a_worker_and_shows_the_outcome(
    client, administrator, rfc2136_under_test, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    account = DnsAccount.objects.create(
        provider="rfc2136", name="BIND", credentials=json.dumps(rfc2136_under_test.credentials)
    )
    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("dns-account-test", args=[account.pk]))
    polling = client.get(reverse("dns-account-test-status", args=[account.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in polling
    assert "Testing..." in polling

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    for callback in queued:
        callback()
    done = client.get(reverse("dns-account-test-status", args=[account.pk])).content.decode()
    assert "hx-trigger" not in done
    assert "Passed: 127.0.0.1 accepted the TSIG key certlife-test-key" in done


def test_pages_need_the_role(client, operator):
    client.force_login(operator)
    assert client.get(reverse("dns-account-list")).status_code == 200
    assert client.get(reverse("dns-account-add", args=["cloudflare"])).status_code == 403
    account = DnsAccount.objects.create(provider="cloudflare", name="CF", credentials="{}")
    assert client.post(reverse("dns-account-test", args=[account.pk])).status_code == 403
    assert client.post(reverse("dns-account-delete", args=[account.pk])).status_code == 403
