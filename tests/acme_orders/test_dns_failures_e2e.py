"""DNS-01 with DNS accounts whose provider misbehaves, through a whole request: Pebble,
the harness BIND9 and a real Celery worker. The cloud APIs are the fakes of
tests/dns_providers (Cloudflare) and moto (Route 53), each applying the records it
accepts to BIND so Pebble validates for real.

These tests start their own worker rather than the session one: it must be given
CERTLIFE_DNS_API_ENDPOINTS (the fakes' addresses, known only once they run) and a short
CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS in its environment.
"""

import json
import os
import re
import time
import uuid

import kombu.pools
import pytest

from dns_providers.actions import create_dns_account
from tests.acme_orders.e2e_helpers import (
    PATIENCE_SECONDS,
    finished,
    request_body,
    wait_for_request,
)
from tests.dns_providers.fakes import FILLER_ZONES, ZONES
from tests.dns_providers.fakes.cloudflare import FakeCloudflare
from tests.dns_providers.fakes.route53 import Route53BindMirror
from tests.dns_providers.fakes.server import FakeApiServer
from tests.harness.celery_worker import database_url, run_celery_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROPAGATION_TIMEOUT_SECONDS = 3


@pytest.fixture(scope="module")
def fake_cloudflare_api(bind_dns):
    api = FakeCloudflare(
        api_token="cf-token-" + uuid.uuid4().hex,
        email="dns@example.com",
        api_key="cf-global-" + uuid.uuid4().hex,
        zones=ZONES + FILLER_ZONES[:3],
        bind=bind_dns,
    )
    with FakeApiServer(api) as server:
        api.url = server.url + "/client/v4"
        yield api


@pytest.fixture(scope="module")
def route53_mirror(moto_route53, bind_dns):
    with Route53BindMirror(moto_route53, bind_dns) as mirror:
        yield mirror


@pytest.fixture(scope="module")
def dns_worker(
    django_db_setup, acme_environment, fake_cloudflare_api, route53_mirror, tmp_path_factory
):
    """A Celery worker whose settings point the providers at the fakes."""
    from django.db import connection

    worker_environment = {
        "CERTLIFE_DNS_API_ENDPOINTS": json.dumps(
            {
                "cloudflare": fake_cloudflare_api.url,
                "route53": route53_mirror.url,
                "sts": route53_mirror.url,
            }
        ),
        "CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS": str(PROPAGATION_TIMEOUT_SECONDS),
    }
    saved = {name: os.environ.get(name) for name in worker_environment}
    os.environ.update(worker_environment)  # the worker copies os.environ as it starts
    # The harness closes the app's broker pool when it points the app at a worker, but
    # kombu's registry would hand that closed pool back when the session worker is on
    # the same broker; forgetting the registry makes the next pool a fresh one.
    kombu.pools.reset()
    worker = run_celery_worker(
        tmp_path_factory.mktemp("dns-worker"),
        database_url(connection.settings_dict, connection.vendor),
    )
    try:
        yield next(worker)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        next(worker, None)  # stops the worker
        kombu.pools.reset()


@pytest.fixture
def cloudflare(fake_cloudflare_api, bind_dns):
    """The module's Cloudflare fake, with a clean request log and BIND mirroring on."""
    fake_cloudflare_api.requests.clear()
    fake_cloudflare_api.injected_failures.clear()
    yield fake_cloudflare_api
    fake_cloudflare_api.bind = bind_dns


@pytest.fixture
def cloudflare_account(cloudflare, administrator):
    return create_dns_account(
        provider="cloudflare",
        name="Cloudflare",
        credentials={"api_token": cloudflare.api_token},
        actor=administrator,
    )


def unique_name(label: str) -> str:
    """A name no earlier test has validated (Pebble may reuse valid authorizations)."""
    return f"{label}-{uuid.uuid4().hex[:8]}.example.com"


def request_with(api, pebble_account, account, names) -> int:
    body = request_body(pebble_account, names, challenge_type="dns-01", dns_account=account.pk)
    response = api.post("/api/v1/requests/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_for_connection_test(api, account_id, seconds=PATIENCE_SECONDS) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last_test = api.get(f"/api/v1/dns-accounts/{account_id}/").json()["last_test"]
        if last_test["status"] in ("passed", "failed"):
            return last_test
        time.sleep(0.3)
    raise AssertionError(f"the connection test of DNS account {account_id} never finished")


def test_wrong_credentials_fail_the_connection_test_and_the_request(
    dns_worker, cloudflare, api_as, administrator, pebble_account
):
    api = api_as(administrator)
    wrong_token = "cf-token-wrong-" + uuid.uuid4().hex
    account = create_dns_account(
        provider="cloudflare",
        name="Cloudflare",
        credentials={"api_token": wrong_token},
        actor=administrator,
    )

    assert api.post(f"/api/v1/dns-accounts/{account.pk}/test/").status_code == 202
    last_test = wait_for_connection_test(api, account.pk)
    assert last_test["status"] == "failed"
    assert last_test["message"] == (
        "Cloudflare: HTTP 401: 1000: Invalid API Token "
        "(check the credentials and their permissions)"
    )

    name = unique_name("wrongkey")
    request_id = request_with(api, pebble_account, account, [name])
    done = wait_for_request(api, request_id, finished)
    assert done["status"] == "failed"
    assert done["error"] == (
        f"No enabled DNS account can write _acme-challenge.{name} (accounts tried: "
        "Cloudflare); Cloudflare: HTTP 403: 10000: Authentication error (check the "
        "credentials and their permissions). Fix the DNS account named above, or add one "
        "that can write this zone."
    )
    assert wrong_token not in done["error"] + last_test["message"]
    assert not [r for r in cloudflare.requests if r.method != "GET"]  # nothing written


def test_one_server_error_is_retried_and_cloudflare_issues_through_bind(
    dns_worker, cloudflare, cloudflare_account, api_as, administrator, pebble_account, bind_dns
):
    api = api_as(administrator)
    cloudflare.fail_next(503)
    names = [unique_name("cf"), unique_name("cf")]

    request_id = request_with(api, pebble_account, cloudflare_account, names)
    done = wait_for_request(api, request_id, finished)

    assert done["status"] == "available", done["error"]
    assert cloudflare.injected_failures == []
    # The 503 and its retry are the same call.
    assert cloudflare.requests[0].path == cloudflare.requests[1].path
    writes = [(r.method, r.json()["name"] if r.body else None) for r in cloudflare.requests
              if r.method in ("POST", "DELETE")]  # fmt: skip
    assert sorted(method for method, _ in writes) == ["DELETE", "DELETE", "POST", "POST"]
    for challenge in done["challenges"]:
        assert cloudflare.txt_values(challenge["txt_name"]) == []
        assert bind_dns.query(challenge["txt_name"], "TXT") == []


def test_record_never_visible_fails_the_request_and_is_still_removed(
    dns_worker, cloudflare, cloudflare_account, api_as, administrator, pebble_account, bind_dns
):
    api = api_as(administrator)
    cloudflare.bind = None  # the API accepts the record; the nameservers never serve it
    name = unique_name("never")
    record_name = f"_acme-challenge.{name}"

    request_id = request_with(api, pebble_account, cloudflare_account, [name])
    done = wait_for_request(api, request_id, finished)

    assert done["status"] == "failed"
    match = re.fullmatch(
        rf"TXT for {re.escape(record_name)} not visible on ns1\.example\.com after (\d+) s",
        done["error"],
    )
    assert match, done["error"]
    # The account's short timeout, not the default 600 s (however busy the machine).
    assert PROPAGATION_TIMEOUT_SECONDS <= int(match[1]) < 300
    created = [r for r in cloudflare.requests if r.method == "POST"]
    assert [r.json()["name"] for r in created] == [record_name]
    assert [r.method for r in cloudflare.requests if r.method == "DELETE"] == ["DELETE"]
    assert cloudflare.txt_values(record_name) == []


def test_route53_issues_through_moto_with_a_create_then_a_delete(
    dns_worker, moto_route53, api_as, administrator, pebble_account, bind_dns
):
    api = api_as(administrator)
    account = create_dns_account(
        provider="route53",
        name="Route 53",
        credentials={
            "access_key_id": moto_route53.access_key_id,
            "secret_access_key": moto_route53.secret_access_key,
        },
        actor=administrator,
    )
    name = unique_name("r53")
    moto_route53.start_recording()

    request_id = request_with(api, pebble_account, account, [name])
    done = wait_for_request(api, request_id, finished)

    assert done["status"] == "available", done["error"]
    (challenge,) = done["challenges"]
    record = {
        "name": challenge["txt_name"],
        "type": "TXT",
        "values": [f'"{challenge["txt_value"]}"'],
    }
    assert moto_route53.change_batches() == [
        [{"action": "CREATE", **record}],
        [{"action": "DELETE", **record}],
    ]
    assert bind_dns.query(challenge["txt_name"], "TXT") == []
