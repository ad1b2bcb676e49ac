"""Agent mappings answer challenges with nobody acting (spec V3, V5, V7, V8): HTTP-01
through a real sshd into the web root a real web server serves on Pebble's HTTP-01
port, and DNS-01 through a mapping's own RFC 2136 key at the harness BIND9. A real
Celery worker advances the requests."""

import time

import pytest

from agents import actions
from agents.choices import MappingKind
from agents.models import AgentMapping
from dns_providers.actions import create_dns_account
from tests.acme_orders.e2e_helpers import finished, request_body, wait_for_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHALLENGE_DIRECTORY = ".well-known/acme-challenge"
OTHER_FINGERPRINT = "SHA256:" + "B" * 43


def ssh_mapping(ssh_server, actor, domain, **fields) -> AgentMapping:
    values = {
        "domain": domain,
        "host": ssh_server.host,
        "port": ssh_server.port,
        "username": ssh_server.user,
        "private_key": ssh_server.private_key_pem,
        "host_key_fingerprint": ssh_server.host_key_fingerprint,
        "web_root": str(ssh_server.web_root),
    }
    return actions.create_mapping(kind=MappingKind.LINUX, actor=actor, **{**values, **fields})


def token_files(ssh_server) -> list[str]:
    directory = ssh_server.web_root / CHALLENGE_DIRECTORY
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def wait_until(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("the condition did not hold in time")


def test_http01_through_ssh_issues_with_no_human_step_and_removes_the_token(
    celery_worker, api_as, administrator, pebble, pebble_account, ssh_server
):
    api = api_as(administrator)
    ssh_mapping(ssh_server, administrator, "*.ssh.example.com")
    with pebble.http01_server(web_root=ssh_server.web_root) as web_server:
        body = request_body(pebble_account, ["www.ssh.example.com"])
        request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
        done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    (challenge,) = done["challenges"]
    assert challenge["solver"] == "ssh"
    # Pebble fetched the token from the file written over SSH, and it is gone now.
    assert challenge["http_path"] in web_server.requested_paths
    assert challenge["http_path"].rsplit("/", 1)[1] not in token_files(ssh_server)


def test_an_unknown_host_key_is_used_only_once_trusted(
    celery_worker, api_as, administrator, pebble, pebble_account, ssh_server
):
    api = api_as(administrator)
    mapping = ssh_mapping(ssh_server, administrator, "trust.example.com", host_key_fingerprint="")

    def key_seen():
        mapping.refresh_from_db()
        return mapping.seen_host_key_fingerprint

    wait_until(key_seen)  # the worker fetched it; nothing else was sent
    assert mapping.seen_host_key_fingerprint == ssh_server.host_key_fingerprint
    assert mapping.host_key_fingerprint == ""

    with pebble.http01_server(web_root=ssh_server.web_root):
        body = request_body(pebble_account, ["trust.example.com"])
        request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
        pending = wait_for_request(api, request_id, lambda b: b["challenges"])
        # Not trusted: the name is left to a person, and nothing was written.
        assert [c["solver"] for c in pending["challenges"]] == ["manual"]
        token = pending["challenges"][0]["http_path"].rsplit("/", 1)[1]
        assert token not in token_files(ssh_server)

        actions.trust_host_key(
            mapping, fingerprint=ssh_server.host_key_fingerprint, actor=administrator
        )
        done = wait_for_request(api, request_id, finished)  # started on its own (V8)
    assert done["status"] == "available", done["error"]
    assert [c["solver"] for c in done["challenges"]] == ["ssh"]


def test_a_changed_host_key_fails_the_request_in_words_and_writes_nothing(
    celery_worker, api_as, administrator, pebble, pebble_account, ssh_server
):
    api = api_as(administrator)
    ssh_mapping(
        ssh_server, administrator, "changed.example.com", host_key_fingerprint=OTHER_FINGERPRINT
    )
    before = token_files(ssh_server)
    body = request_body(pebble_account, ["changed.example.com"])
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "failed"
    assert "host key changed" in done["error"]
    assert ssh_server.host_key_fingerprint in done["error"] and OTHER_FINGERPRINT in done["error"]
    assert token_files(ssh_server) == before


def test_a_dns_mapping_with_its_own_rfc2136_key_comes_before_the_dns_account(
    celery_worker, api_as, administrator, pebble, pebble_account, bind_dns
):
    api = api_as(administrator)
    # The global account could write the zone too; the mapping's own key is used.
    account = create_dns_account(
        provider="rfc2136",
        name="Harness BIND",
        credentials={
            "server": bind_dns.host,
            "port": str(bind_dns.port),
            "key_name": bind_dns.tsig_key_name,
            "key_secret": bind_dns.tsig_secret,
        },
        actor=administrator,
    )
    actions.create_mapping(
        kind=MappingKind.DNS,
        domain="dnsmap.example.net",
        dns_provider="rfc2136",
        dns_credentials={
            "server": bind_dns.host,
            "port": str(bind_dns.port),
            "key_name": bind_dns.mapping_key_name,
            "key_secret": bind_dns.mapping_key_secret,
            "zone": bind_dns.mapping_key_zone,
        },
        actor=administrator,
    )
    body = request_body(
        pebble_account, ["dnsmap.example.net"], challenge_type="dns-01", dns_account=account.pk
    )
    request_id = api.post("/api/v1/requests/", body, format="json").json()["id"]
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "available", done["error"]
    assert [c["solver"] for c in done["challenges"]] == ["dns-mapping"]
    assert bind_dns.query("_acme-challenge.dnsmap.example.net", "TXT") == []  # cleaned up
