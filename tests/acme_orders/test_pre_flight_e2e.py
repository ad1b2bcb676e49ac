"""Our own pre-flight check before the CA is asked (spec V9): with nothing published, a
manual Verify stays pending and names the name that is not ready, and an automated DNS
account waits for its record; in both cases the CA's challenge is never answered.

Pebble and BIND are real; the test process plays the worker (InProcessWorker)."""

import uuid

import pytest

from acme_orders import actions
from dns_providers.actions import create_dns_account
from tests.acme_orders.e2e_helpers import InProcessWorker, new_request, post_as_get
from tests.dns_providers.fakes import ZONES
from tests.dns_providers.fakes.cloudflare import FakeCloudflare
from tests.dns_providers.fakes.server import FakeApiServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch):
    return InProcessWorker(monkeypatch)


def unique_name(label: str) -> str:
    """A name no other test validated (Pebble may reuse a valid authorization)."""
    return f"{label}-{uuid.uuid4().hex[:8]}.example.com"


def has_challenges(request) -> bool:
    return request.challenges.exists()


def checked(request) -> bool:
    """The step after Verify ran its check: it either gave the request back to the
    person, reported what it waits for, or went on to the CA."""
    return not request.verify_requested or request.error or request.status != "pending"


def challenge_status_at_ca(account, challenge) -> str:
    from accounts.acme_client import acme_client_for

    return post_as_get(acme_client_for(account), challenge.challenge_url).json()["status"]


@pytest.mark.parametrize("challenge_type", ["http-01", "dns-01"])
def test_manual_verify_with_nothing_published_stays_pending_and_names_the_name(
    challenge_type, worker, pebble_account, administrator
):
    name = unique_name("preflight")
    request = new_request(pebble_account, administrator, [name], challenge_type=challenge_type)
    request = worker.drive(request.pk, has_challenges)
    assert request.status == "pending" and not request.verify_requested

    actions.verify_request(request, actor=administrator)
    request = worker.drive(request.pk, checked)

    assert request.status == "pending", request.error
    assert request.error.startswith(f"Not ready yet: {name}: "), request.error
    assert not request.verify_requested  # the person publishes, then clicks Verify again
    (challenge,) = request.challenges.all()
    assert challenge.status == "pending"
    assert challenge_status_at_ca(pebble_account, challenge) == "pending"


@pytest.fixture
def cloudflare_not_serving(settings):
    """A DNS API that accepts every record while the nameservers never serve it."""
    api = FakeCloudflare(
        api_token="cf-token-" + uuid.uuid4().hex,
        email="dns@example.com",
        api_key="cf-global-" + uuid.uuid4().hex,
        zones=ZONES,
        bind=None,
    )
    with FakeApiServer(api) as server:
        api.url = server.url + "/client/v4"
        settings.CERTLIFE_DNS_API_ENDPOINTS = {"cloudflare": api.url}
        yield api


def test_a_dns_account_waits_until_its_record_is_visible(
    worker, pebble_account, administrator, cloudflare_not_serving
):
    dns_account = create_dns_account(
        provider="cloudflare",
        name="Cloudflare",
        credentials={"api_token": cloudflare_not_serving.api_token},
        actor=administrator,
    )
    name = unique_name("preflight-dns")
    request = new_request(
        pebble_account, administrator, [name], challenge_type="dns-01", dns_account=dns_account
    )
    request = worker.drive(request.pk, lambda r: r.error or r.status != "pending")

    assert request.status == "pending", request.error
    assert request.error.startswith(
        f"Waiting: {name}: TXT for _acme-challenge.{name} not yet visible on ns1.example.com"
    ), request.error
    assert cloudflare_not_serving.txt_values(f"_acme-challenge.{name}")  # it was written
    (challenge,) = request.challenges.all()
    assert challenge.status == "pending"
    assert challenge_status_at_ca(pebble_account, challenge) == "pending"
