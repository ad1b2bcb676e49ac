"""The HTTP-01 pre-flight (spec V9) fetches only where certlife.outbound allows: names
resolve through the harness BIND (every name in its zones points at 127.0.0.1 unless a
harness zone says otherwise: intranet-site, two-faced), and the site is a local token
server."""

import ipaddress

import pytest

from acme_orders.choices import ChallengeType
from acme_orders.models import Challenge
from acme_orders.solvers import http01_problem
from tests.accounts.fake_ca import Redirector
from tests.harness.connections import connections_recorded
from tests.harness.http01 import Http01TokenServer
from tests.harness.process import ReservedPort

pytestmark = pytest.mark.e2e

TOKEN = "preflight-token"
KEY_AUTHORIZATION = f"{TOKEN}.thumbprint"


def challenge_for(domain: str) -> Challenge:
    return Challenge(
        domain=domain, type=ChallengeType.HTTP_01, token=TOKEN, key_authorization=KEY_AUTHORIZATION
    )


@pytest.fixture
def site(settings, bind_dns):
    """The token server every harness name points at; no private network allowed."""
    settings.CERTLIFE_DNS_RESOLVER = f"{bind_dns.host}:{bind_dns.port}"
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ()
    with ReservedPort() as reserved:
        settings.CERTLIFE_HTTP01_PORT = reserved.port
        with Http01TokenServer(reserved.port, {TOKEN: KEY_AUTHORIZATION}) as server:
            yield server


def test_a_name_resolving_to_a_private_address_is_not_fetched(site):
    with connections_recorded() as connected:
        problem = http01_problem(challenge_for("intranet-site.example.com"))
    assert problem == (
        "intranet-site.example.com resolves to 10.0.0.1, a private address; certlife does not "
        "connect to private networks unless CERTLIFE_ALLOWED_PRIVATE_NETWORKS allows it."
    )
    assert "10.0.0.1" not in connected


def test_a_name_resolving_to_loopback_is_fetched_only_when_allowed(site, settings):
    problem = http01_problem(challenge_for("www.example.com"))
    assert problem is not None
    assert problem.startswith("www.example.com resolves to 127.0.0.1, a loopback address")
    assert site.requested_paths == []

    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    assert http01_problem(challenge_for("www.example.com")) is None
    assert site.requested_paths == [f"/.well-known/acme-challenge/{TOKEN}"]


def test_every_address_of_the_name_is_checked(site, settings):
    """One allowed answer does not let a refused one through."""
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    with connections_recorded() as connected:
        problem = http01_problem(challenge_for("two-faced.example.com"))
    assert problem is not None
    assert "two-faced.example.com resolves to fd00:ec2::254, a cloud metadata address" in problem
    assert connected == [] and site.requested_paths == []


def test_a_redirect_to_a_private_address_is_not_followed(settings, bind_dns):
    settings.CERTLIFE_DNS_RESOLVER = f"{bind_dns.host}:{bind_dns.port}"
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    with Redirector("http://169.254.169.254/latest/meta-data/") as site:
        settings.CERTLIFE_HTTP01_PORT = site.server.server_port
        with connections_recorded() as connected:
            problem = http01_problem(challenge_for("www.example.com"))
    assert problem is not None and problem.startswith("www.example.com: http://www.example.com:")
    assert "redirects where certlife does not connect" in problem
    assert "169.254.169.254 is a cloud metadata address" in problem
    assert len(site.received) == 1 and "169.254.169.254" not in connected
