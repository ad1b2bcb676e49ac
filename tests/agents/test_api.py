"""/api/v1/agent-mappings/ (spec API table, V3-V5): the fields of each kind, secrets
write-only, a 400 naming the field and the rule, the host key trusted on request."""

import json

import pytest
from django.utils import timezone

from agents.models import Agent, AgentMapping
from certlife.models import AuditEvent
from tests.factories import make_key_pem

pytestmark = pytest.mark.django_db

URL = "/api/v1/agent-mappings/"
FINGERPRINT = "SHA256:" + "K" * 43
PASSWORD = "s3cret-ssh-password"
TSIG_SECRET = "bWFwcGluZy1rZXktc2VjcmV0"


def linux_body(**fields) -> dict:
    return {
        "kind": "linux",
        "domain": "WWW.Example.COM.",
        "host": "192.0.2.10",
        "username": "deploy",
        "password": PASSWORD,
        "web_root": "/var/www/html",
        **fields,
    }


def dns_body(**fields) -> dict:
    credentials = {
        "server": "192.0.2.53",
        "key_name": "mapping-key",
        "key_secret": TSIG_SECRET,
        "zone": "example.net",
    }
    return {
        "kind": "dns",
        "domain": "*.example.net",
        "provider": "rfc2136",
        "credentials": credentials,
        **fields,
    }


@pytest.fixture
def api(api_as, operator):
    return api_as(operator)


def test_a_linux_mapping_is_created_normalized_with_its_secrets_write_only(api, operator):
    created = api.post(URL, linux_body(private_key=make_key_pem()), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domain"] == "www.example.com"
    assert (body["port"], body["file_mode"], body["key_mode"], body["tls_port"]) == (
        22,
        "0644",
        "0600",
        443,
    )
    assert body["has_password"] and body["has_private_key"]
    assert body["host_key_fingerprint"] == "" and body["seen_host_key_fingerprint"] == ""
    assert "password" not in body and "private_key" not in body
    assert "agent" not in body and "provider" not in body  # only the kind's fields
    shown = api.get(f"{URL}{body['id']}/").content.decode()
    assert PASSWORD not in shown and "PRIVATE KEY" not in shown
    event = AuditEvent.objects.get(action="agent_mapping.create")
    assert event.actor == operator and PASSWORD not in json.dumps(event.detail)


def test_a_given_fingerprint_is_pinned_at_once(api):
    body = api.post(URL, linux_body(host_key_fingerprint=FINGERPRINT), format="json").json()
    assert body["host_key_fingerprint"] == FINGERPRINT


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"host": ""}, "host", "required"),
        ({"host": "bad host!"}, "host", "host name"),
        ({"username": ""}, "username", "required"),
        ({"password": ""}, "password", "password or a private key"),
        ({"private_key": "not a key"}, "private_key", "cannot be read"),
        ({"port": 70000}, "port", "65535"),
        ({"host_key_fingerprint": "MD5:aa:bb"}, "host_key_fingerprint", "SHA256"),
        ({"web_root": "var/www"}, "web_root", "absolute path"),
        ({"web_root": ""}, "web_root", "turn on Deploy"),
        ({"deploy": True}, "key_path", "path of the key"),
        ({"deploy": True, "key_path": "/k.pem"}, "certificate_path", "full-chain"),
        ({"file_mode": "999"}, "file_mode", "octal"),
        ({"owner": "root;rm -rf /"}, "owner", "user:group"),
        ({"reload_command": "a\nb"}, "reload_command", "line breaks"),
        ({"domain": "a.*.example.com"}, "domain", "leftmost label"),
        ({"domain": "localhost"}, "domain", "two labels"),
        ({"site": "Default"}, "site", "Not a field of a Linux"),
        ({"kind": "ftp"}, "kind", "not a valid choice"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, fields, field, words):
    answer = api.post(URL, linux_body(**fields), format="json")
    assert answer.status_code == 400, answer.content
    errors = answer.json()
    assert field in errors, errors
    assert words in " ".join(errors[field]), errors
    assert not AgentMapping.objects.exists()


def test_dns_mapping_credentials_are_checked_by_the_provider_fields(api):
    created = api.post(URL, dns_body(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["provider"] == "rfc2136" and "credentials" not in body
    assert body["credentials_summary"]["zone"] == "example.net"
    assert TSIG_SECRET not in json.dumps(body)

    bad = api.post(URL, dns_body(credentials={"server": "x", "key_secret": "***"}), format="json")
    assert bad.status_code == 400
    assert "credentials.key_secret" in bad.json() and "credentials.key_name" in bad.json()
    unknown = api.post(URL, dns_body(provider="nope"), format="json")
    assert "provider" in unknown.json()
    deploying = api.post(URL, dns_body(deploy=True), format="json")
    assert "does not deploy" in deploying.json()["deploy"][0]


def test_patch_keeps_secrets_sent_empty_and_moving_the_host_unpins_the_key(api):
    mapping_id = api.post(URL, linux_body(host_key_fingerprint=FINGERPRINT), format="json").json()[
        "id"
    ]
    kept = api.patch(f"{URL}{mapping_id}/", {"password": "", "owner": "www-data"}, format="json")
    assert kept.status_code == 200, kept.content
    assert AgentMapping.objects.get(pk=mapping_id).password == PASSWORD
    assert kept.json()["host_key_fingerprint"] == FINGERPRINT
    moved = api.patch(f"{URL}{mapping_id}/", {"host": "192.0.2.11"}, format="json").json()
    assert moved["host_key_fingerprint"] == ""
    changed_kind = api.patch(f"{URL}{mapping_id}/", {"kind": "dns"}, format="json")
    assert changed_kind.status_code == 400 and "kind" in changed_kind.json()


def test_trust_host_key_pins_only_the_key_the_server_showed(api):
    mapping_id = api.post(URL, linux_body(), format="json").json()["id"]
    trust = f"{URL}{mapping_id}/trust-host-key/"
    not_seen = api.post(trust, {"fingerprint": FINGERPRINT}, format="json")
    assert not_seen.status_code == 400 and "not seen" in not_seen.json()["fingerprint"][0]
    AgentMapping.objects.filter(pk=mapping_id).update(seen_host_key_fingerprint=FINGERPRINT)
    other = api.post(trust, {"fingerprint": "SHA256:" + "Z" * 43}, format="json")
    assert other.status_code == 400 and FINGERPRINT in other.json()["fingerprint"][0]
    assert api.post(trust, {}, format="json").json() == {"fingerprint": ["This field is required."]}
    trusted = api.post(trust, {"fingerprint": FINGERPRINT}, format="json")
    assert trusted.status_code == 200
    assert trusted.json()["host_key_fingerprint"] == FINGERPRINT
    assert AuditEvent.objects.filter(action="agent_mapping.trust_host_key").count() == 1


def test_a_windows_mapping_needs_an_agent_that_is_not_revoked(api):
    revoked = Agent.objects.create(
        name="old", token_hash="x", token_prefix="old", revoked_at=timezone.now()
    )
    body = {"kind": "windows", "domain": "iis.example.com", "agent": revoked.pk}
    assert "revoked" in api.post(URL, body, format="json").json()["agent"][0]
    agent = Agent.objects.create(name="iis-1", token_hash="y", token_prefix="iis")
    created = api.post(URL, {**body, "agent": agent.pk, "site": "Default Web Site"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["agent"] == agent.pk and "host" not in created.json()


def test_list_filters_and_their_errors(api):
    api.post(URL, linux_body(), format="json")
    api.post(URL, dns_body(), format="json")
    assert [m["kind"] for m in api.get(URL, {"kind": "dns"}).json()["results"]] == ["dns"]
    assert api.get(URL, {"domain": "www"}).json()["count"] == 1
    assert "kind" in api.get(URL, {"kind": "bogus"}).json()


def test_auditors_read_but_cannot_write(api_as, auditor):
    answer = api_as(auditor).post(URL, linux_body(), format="json")
    assert answer.status_code == 403
