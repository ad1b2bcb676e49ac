"""Manage >> Deploy and the dialog's form (spec V3, V5, V6): what each role sees, the
inputs of each kind, the action's errors on the inputs they name."""

import pytest
from django.urls import reverse

from agents.models import AgentMapping

pytestmark = pytest.mark.django_db

SEEN = "SHA256:" + "S" * 43


def linux_input(**fields) -> dict:
    return {
        "kind": "linux", "domain": "web.example.com", "host": "192.0.2.10", "port": "22",
        "username": "deploy", "password": "pw-12345", "web_root": "/var/www",
        "file_mode": "0644", "key_mode": "0600", "tls_port": "443", "enabled": "on",
        **fields,
    }  # fmt: skip


def test_an_operator_adds_a_linux_mapping_and_trusts_its_host_key(client, operator):
    client.force_login(operator)
    answer = client.post(reverse("agent-mapping-add"), linux_input())
    assert answer.status_code == 302
    mapping = AgentMapping.objects.get()
    assert (mapping.domain, mapping.password, mapping.host_key_fingerprint) == (
        "web.example.com",
        "pw-12345",
        "",
    )
    AgentMapping.objects.filter(pk=mapping.pk).update(seen_host_key_fingerprint=SEEN)
    listed = client.get(reverse("agent-mapping-list")).content.decode()
    assert SEEN in listed and "Trust this host key" in listed and "pw-12345" not in listed
    client.post(reverse("agent-mapping-trust", args=[mapping.pk]), {"fingerprint": SEEN})
    mapping.refresh_from_db()
    assert mapping.host_key_fingerprint == SEEN


def test_the_action_errors_show_on_their_inputs(client, operator):
    client.force_login(operator)
    answer = client.post(reverse("agent-mapping-add"), linux_input(web_root="relative/path"))
    assert answer.status_code == 200
    assert answer.context["form"].errors["web_root"] == ["An absolute path, starting with /."]
    assert not AgentMapping.objects.exists()


def test_the_dialog_offers_a_dns_provider_s_own_fields(client, operator):
    client.force_login(operator)
    url = reverse("agent-mapping-add")
    query = {"kind": "dns", "domain": "*.example.net", "dns_provider": "rfc2136"}
    fragment = client.get(url, query, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment  # the dialog's body only
    assert 'name="credential_key_secret"' in fragment and 'name="host"' not in fragment
    body = {**query, "credential_server": "192.0.2.53", "credential_key_name": "k",
            "credential_key_secret": "not base64!"}  # fmt: skip
    refused = client.post(url, body, headers={"HX-Request": "true"})
    assert "Not valid base64" in refused.content.decode()
    body["credential_key_secret"] = "c2VjcmV0LWtleQ=="
    saved = client.post(url, body, headers={"HX-Request": "true"}).content.decode()
    assert "saved" in saved
    assert AgentMapping.objects.get().dns_credential_values()["key_secret"] == "c2VjcmV0LWtleQ=="


def test_auditors_see_the_list_without_edit_links(client, auditor, operator):
    client.force_login(operator)
    client.post(reverse("agent-mapping-add"), linux_input())
    client.force_login(auditor)
    listed = client.get(reverse("agent-mapping-list")).content.decode()
    assert "web.example.com" in listed
    assert "Edit</a>" not in listed and "Trust this host key" not in listed
