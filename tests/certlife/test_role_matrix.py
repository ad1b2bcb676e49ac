"""Who may do what (spec S1), as one table: every page and API route of certlife x
administrator, operator, auditor, a user without a role, and an anonymous visitor.

A row names who is let through. Every other signed-in role must be refused (403);
anonymous visitors are sent to the login page (pages) or answered 401 (API). A route
without a row fails `test_every_route_has_a_row`, so a new route must be given its
answer here. Django admin's own URLs are left out: only administrators are staff.

"Let through" is about the permission layer: an empty body refused by validation (400,
or the form shown again) counts as let through. Objects the routes act on are made
first, so nothing answers 404, and no call may leave this machine.
"""

import ipaddress
import socket
from collections.abc import Iterator
from urllib.parse import urlencode, urlparse

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from acme_orders.models import CertificateRequest, Challenge
from acme_orders.views import RequestActionView
from agents.models import Agent, AgentMapping
from alerts.models import AlertChannel
from dns_providers.models import DnsAccount
from tests.factories import (
    make_acme_account,
    make_failed_deployment,
    make_issued_request,
    make_repository_certificate,
)

pytestmark = pytest.mark.django_db

ADMINISTRATOR, OPERATOR, AUDITOR, NO_ROLE, ANONYMOUS = (
    "administrator", "operator", "auditor", "no_role_user", "anonymous",
)  # fmt: skip
ROLES = (ADMINISTRATOR, OPERATOR, AUDITOR, NO_ROLE, ANONYMOUS)

ALLOWED, DENIED, TO_LOGIN, UNAUTHENTICATED = "allowed", "403", "to login page", "401"

# Who is let through (spec S1).
ADMINISTRATORS = frozenset({ADMINISTRATOR})
# Request, renew, deploy, export without the private key, save, email.
OPERATORS = frozenset({ADMINISTRATOR, OPERATOR})
# Read everything but the audit log.
READERS = frozenset({ADMINISTRATOR, OPERATOR, AUDITOR})
AUDIT_READERS = frozenset({ADMINISTRATOR, AUDITOR})
# Pages about oneself (profile, password) and the empty dashboard.
SIGNED_IN = frozenset({ADMINISTRATOR, OPERATOR, AUDITOR, NO_ROLE})
# No login at all.
PUBLIC = {role: ALLOWED for role in ROLES}

# "METHOD route-name[:action slug][ +variant]" -> who is let through. A variant is a
# second call of the same route with another body (see BODIES).
EXPECTED: dict[str, frozenset[str] | dict[str, str]] = {
    # Signing in and oneself.
    "GET login": PUBLIC,
    "POST login": PUBLIC,
    "POST logout": {role: TO_LOGIN for role in ROLES},  # logging out ends at the login page
    "GET password-change": SIGNED_IN,
    "POST password-change": SIGNED_IN,
    "GET profile": SIGNED_IN,
    "POST profile": SIGNED_IN,
    "GET health": PUBLIC,
    "GET dashboard": SIGNED_IN,
    "GET audit-log": AUDIT_READERS,
    # Certificates and requests.
    "GET certificate-list": READERS,
    "GET certificate-detail": READERS,
    "GET certificate-history": READERS,
    "POST certificate-export": OPERATORS,
    "POST certificate-export +key": ADMINISTRATORS,
    "POST certificate-renew": OPERATORS,
    "POST certificate-retry-renewal": OPERATORS,
    "POST certificate-auto-renew": OPERATORS,
    "GET certificate-revoke": ADMINISTRATORS,
    "POST certificate-revoke": ADMINISTRATORS,  # an empty body: no call reaches a CA
    "GET certificate-delete": ADMINISTRATORS,
    "POST certificate-delete": ADMINISTRATORS,
    "GET request-create": OPERATORS,
    "POST request-create": OPERATORS,
    "POST request-profiles": OPERATORS,
    "GET request-list": READERS,
    "GET request-detail": READERS,
    "POST request-export": OPERATORS,
    "POST request-export +key": ADMINISTRATORS,
    "POST request-action:verify": OPERATORS,
    "POST request-action:new-challenge": OPERATORS,
    "POST request-action:assign-dns": OPERATORS,
    "POST request-action:save": OPERATORS,
    "POST request-action:email": OPERATORS,
    "POST request-action:email +key": ADMINISTRATORS,
    "GET acme-challenge-response": PUBLIC,  # the CA must read it
    # Manage >> Accounts: administrators write (spec A7).
    "GET account-list": READERS,
    "GET account-register": ADMINISTRATORS,
    "POST account-register": ADMINISTRATORS,
    "POST account-directory-info": ADMINISTRATORS,
    "GET account-import": ADMINISTRATORS,
    "POST account-import": ADMINISTRATORS,
    "GET account-email-choose": ADMINISTRATORS,
    "GET account-email": ADMINISTRATORS,
    "POST account-email": ADMINISTRATORS,
    "GET account-export": ADMINISTRATORS,
    "POST account-export": ADMINISTRATORS,
    "GET account-delete": ADMINISTRATORS,
    "POST account-delete": ADMINISTRATORS,
    "GET account-deactivate": ADMINISTRATORS,
    "POST account-deactivate": ADMINISTRATORS,
    # Manage >> DNS: administrators write (spec D).
    "GET dns-account-list": READERS,
    "GET dns-account-add": ADMINISTRATORS,
    "POST dns-account-add": ADMINISTRATORS,
    "GET dns-account-edit": ADMINISTRATORS,
    "POST dns-account-edit": ADMINISTRATORS,
    "GET dns-account-delete": ADMINISTRATORS,
    "POST dns-account-delete": ADMINISTRATORS,
    "GET dns-account-test-status": READERS,
    "POST dns-account-enable": ADMINISTRATORS,
    "POST dns-account-disable": ADMINISTRATORS,
    "POST dns-account-test": ADMINISTRATORS,
    # Manage >> Alerts: administrators write (spec N7).
    "GET alert-channel-list": READERS,
    "GET alert-channel-add": ADMINISTRATORS,
    "POST alert-channel-add": ADMINISTRATORS,
    "GET alert-channel-edit": ADMINISTRATORS,
    "POST alert-channel-edit": ADMINISTRATORS,
    "GET alert-channel-delete": ADMINISTRATORS,
    "POST alert-channel-delete": ADMINISTRATORS,
    "POST alert-channel-test": ADMINISTRATORS,
    # Manage >> Windows Agent (spec V4): administrators create, download and revoke.
    "GET agent-list": READERS,
    "POST agent-add": ADMINISTRATORS,
    "POST agent-package": ADMINISTRATORS,
    "POST agent-revoke": ADMINISTRATORS,
    # Manage >> Deploy: operators map and trust, administrators delete (spec V3-V6).
    "GET agent-mapping-list": READERS,
    "GET agent-mapping-add": OPERATORS,
    "POST agent-mapping-add": OPERATORS,
    "GET agent-mapping-edit": OPERATORS,
    "POST agent-mapping-edit": OPERATORS,
    "GET agent-mapping-delete": ADMINISTRATORS,
    "POST agent-mapping-delete": ADMINISTRATORS,
    "GET agent-mapping-host-key": READERS,
    "POST agent-mapping-trust": OPERATORS,
    "POST agent-mapping-fetch-host-key": OPERATORS,
    # API (spec S4: the same roles as the UI).
    "GET api-schema": SIGNED_IN,  # the contract, no data
    "GET api-audit-events": AUDIT_READERS,
    "GET api-account-list": READERS,
    "POST api-account-list": ADMINISTRATORS,
    "POST api-account-import-existing": ADMINISTRATORS,
    "GET api-account-detail": READERS,
    "PATCH api-account-detail": ADMINISTRATORS,
    "DELETE api-account-detail": ADMINISTRATORS,
    "POST api-account-deactivate": ADMINISTRATORS,
    "GET api-account-key": ADMINISTRATORS,
    "GET api-dns-account-list": READERS,
    "POST api-dns-account-list": ADMINISTRATORS,
    "GET api-dns-account-detail": READERS,
    "PATCH api-dns-account-detail": ADMINISTRATORS,
    "DELETE api-dns-account-detail": ADMINISTRATORS,
    "POST api-dns-account-test": ADMINISTRATORS,
    "GET api-agent-mapping-list": READERS,
    "POST api-agent-mapping-list": OPERATORS,
    "GET api-agent-mapping-detail": READERS,
    "PATCH api-agent-mapping-detail": OPERATORS,
    "DELETE api-agent-mapping-detail": ADMINISTRATORS,
    "POST api-agent-mapping-trust-host-key": OPERATORS,
    "GET api-request-list": READERS,
    "POST api-request-list": OPERATORS,
    "GET api-request-detail": READERS,
    "POST api-request-verify": OPERATORS,
    "POST api-request-new-challenge": OPERATORS,
    "POST api-request-assign-dns": OPERATORS,
    "POST api-request-save": OPERATORS,
    "POST api-request-email": OPERATORS,
    "POST api-request-email +key": ADMINISTRATORS,
    "GET api-certificate-list": READERS,
    "GET api-certificate-detail": READERS,
    "DELETE api-certificate-detail": ADMINISTRATORS,
    "GET api-certificate-versions": READERS,
    "GET api-certificate-export": OPERATORS,
    "GET api-certificate-export +key": ADMINISTRATORS,
    "POST api-certificate-renew": OPERATORS,
    "POST api-certificate-revoke": ADMINISTRATORS,  # an empty body: no call reaches a CA
    "GET api-alert-channel-list": READERS,
    "POST api-alert-channel-list": ADMINISTRATORS,
    "GET api-alert-channel-detail": READERS,
    "PATCH api-alert-channel-detail": ADMINISTRATORS,
    "DELETE api-alert-channel-detail": ADMINISTRATORS,
    "POST api-alert-channel-test": ADMINISTRATORS,
    "PATCH api-certificate-detail": OPERATORS,
    "POST api-certificate-retry-renewal": OPERATORS,
    # Pull agents (spec V4): a package holds a token that receives private keys.
    "GET api-agent-list": READERS,
    "POST api-agent-list": ADMINISTRATORS,
    "POST api-agent-revoke": ADMINISTRATORS,
    "GET api-agent-package": ADMINISTRATORS,
    # The agents' own API takes agent tokens only: no user credential gets in.
    "GET api-agent-jobs": {role: UNAUTHENTICATED for role in ROLES},
    "POST api-agent-job-result": {role: UNAUTHENTICATED for role in ROLES},
    # Deployments (spec V6, V11): operators deploy.
    "GET api-deployment-list": READERS,
    "POST api-deployment-retry": OPERATORS,
    "POST deployment-retry": OPERATORS,
}

# Bodies (query strings for GET) where an empty one would not show what the row is
# about; everything else is called with an empty body.
RECIPIENT = "customer@example.org"
BODIES: dict[str, dict] = {
    "POST request-export": {"format": "pem"},
    "POST request-export +key": {"format": "pem", "include_key": "on"},
    "POST request-action:email": {"to": RECIPIENT},
    "POST request-action:email +key": {"to": RECIPIENT, "include_key": "on"},
    "POST api-request-email": {"to": RECIPIENT},
    "POST api-request-email +key": {"to": RECIPIENT, "include_key": True},
    "GET api-certificate-export": {"format": "pem"},
    "PATCH api-certificate-detail": {"auto_renew": False},
    "GET api-certificate-export +key": {"format": "pem", "include_key": "true"},
    "POST certificate-export": {"format": "pem"},
    "POST certificate-export +key": {"format": "pem", "include_key": "on"},
}
UI_METHODS = ("get", "post")  # what the pages' forms and links send
# HEAD is GET without a body and OPTIONS describes a route: neither needs its own row.
API_METHODS = ("get", "post", "put", "patch", "delete")


def walk(patterns) -> Iterator[URLPattern]:
    """Every URL pattern, through every include, except Django admin's."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from walk(pattern.url_patterns)
        else:
            yield pattern


def route_methods(pattern: URLPattern) -> list[str]:
    """The methods a route answers, read from its view (which, not who)."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if actions is not None:  # a DRF viewset route (DRF adds "head" after the first GET)
        return [m for m in actions if m in API_METHODS and m in view_class.http_method_names]
    if view_class is None:  # a function view
        return ["get"]
    return [m for m in UI_METHODS if m in view_class.http_method_names and hasattr(view_class, m)]


def routes_of_the_project() -> set[str]:
    """Every "METHOD name" the URL configuration serves, outside Django admin."""
    found = set()
    for pattern in walk(get_resolver().url_patterns):
        for method in route_methods(pattern):
            if pattern.name == "request-action":
                for slug in RequestActionView.action_permissions:
                    found.add(f"{method.upper()} {pattern.name}:{slug}")
            else:
                found.add(f"{method.upper()} {pattern.name}")
    return found


def test_every_route_has_a_row_and_every_row_a_route():
    routes = routes_of_the_project()
    rows = {key.split(" +")[0] for key in EXPECTED}
    assert sorted(routes - rows) == [], "routes without a row in EXPECTED"
    assert sorted(rows - routes) == [], "rows for routes that do not exist"
    # Not vacuous: the walk found the pages and the API.
    assert len(routes) >= 75
    assert sum(name.split()[1].startswith("api-") for name in routes) >= 30
    assert set(BODIES) <= set(EXPECTED)


def expected_outcome(key: str, role: str) -> str:
    who = EXPECTED[key]
    if isinstance(who, dict):
        return who[role]
    if role in who:
        return ALLOWED
    if role != ANONYMOUS:
        return DENIED
    return UNAUTHENTICATED if key.split()[1].startswith("api-") else TO_LOGIN


def outcome(response) -> str:
    code = response.status_code
    if code == 401:
        return UNAUTHENTICATED
    if code == 403:
        return DENIED
    if code in (301, 302, 303) and urlparse(response["Location"]).path == "/login/":
        return TO_LOGIN
    if code in (200, 201, 202, 204, 301, 302, 303, 400):
        return ALLOWED
    return f"unexpected {code}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # A role user is made for every call; the real hasher takes most of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def no_outbound_network(monkeypatch):
    """Loopback only (the database): a call that would reach a CA or a DNS provider
    fails the test instead."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def is_local(host) -> bool:
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def connect(self, address):
        if isinstance(address, tuple) and not is_local(address[0]):
            raise AssertionError(f"the role matrix tried to reach {address}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_local(host):
            raise AssertionError(f"the role matrix tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def make_route_objects() -> dict[str, int]:
    """What the routes act on: an account (deactivated, so no call reaches a CA), a DNS
    account, an issued request, a request being validated with a challenge for the
    built-in responder, and a certificate in the repository."""
    account = make_acme_account(name="Old CA", status="deactivated", directory="old.example.net")
    request = make_issued_request(make_acme_account(), domains=["matrix.example.com"])
    # The built-in responder answers only for requests still being validated.
    validating = make_issued_request(request.account, domains=["matrix.example.com"])
    CertificateRequest.objects.filter(pk=validating.pk).update(status="validating")
    Challenge.objects.create(
        request=validating,
        domain="matrix.example.com",
        type="http-01",
        authorization_url="https://ca.example.net/authz/1",
        token="matrix-token",
        key_authorization="matrix-token.thumbprint",
        solver="builtin-http",
        status="pending",
    )
    dns_account = DnsAccount.objects.create(
        provider="cloudflare", name="Cloudflare", credentials='{"api_token": "t"}'
    )
    certificate = make_repository_certificate(["repo.example.com"])
    alert_channel = AlertChannel.objects.create(
        name="Team", kind="email", target="team@example.com"
    )
    # Its host key is pinned, so no call fetches one (an address outside loopback).
    mapping = AgentMapping.objects.create(
        kind="linux", domain="matrix.example.com", host="192.0.2.10", username="deploy",
        password="matrix-password", web_root="/var/www", host_key_fingerprint="SHA256:" + "A" * 43,
    )  # fmt: skip
    agent = Agent.objects.create(name="Matrix agent", token_hash="-", token_prefix="cla_matrix")
    deployment = make_failed_deployment(certificate)
    return {
        "agent-mapping": mapping.pk,  # before "agent": routes are matched by name prefix
        "agent": agent.pk,
        "account": account.pk,
        "dns-account": dns_account.pk,
        "request": request.pk,
        "certificate": certificate.pk,
        "alert-channel": alert_channel.pk,
        "deployment": deployment.pk,
    }


def url_for(key: str, objects: dict) -> str:
    name, _, slug = key.split()[1].partition(":")
    route = next(pattern for pattern in walk(get_resolver().url_patterns) if pattern.name == name)
    kwargs: dict[str, object] = {}
    for argument in route.pattern.regex.groupindex:
        if argument == "pk":
            route_of = name.removeprefix("api-")
            kwargs["pk"] = next(pk for family, pk in objects.items() if route_of.startswith(family))
        elif argument == "provider":
            kwargs["provider"] = "godaddy"
        elif argument == "token":
            kwargs["token"] = "matrix-token"
        elif argument == "action":
            kwargs["action"] = slug
    return reverse(name, kwargs=kwargs)


def call(key: str, user, api_as):
    """One request as `user` (None: anonymous) with a fresh client, so that logging out
    or a session change in one call cannot leak into the next."""
    method, name = key.split()[:2]
    api = name.startswith("api-")
    if user is None:
        client = APIClient() if api else Client()
    elif api:
        client = api_as(user)
    else:
        client = Client()
        client.force_login(user)
    url, body = url_for(key, make_route_objects()), BODIES.get(key, {})
    if method == "GET":
        return client.get(f"{url}?{urlencode(body)}" if body else url)
    if api:
        return getattr(client, method.lower())(url, body, format="json")
    return client.post(url, body)


@pytest.mark.usefixtures("no_outbound_network")
@pytest.mark.parametrize("role", ROLES)
def test_who_may_do_what(request, api_as, role):
    user = None if role == ANONYMOUS else request.getfixturevalue(role)
    differences, calls = [], 0
    for key in EXPECTED:
        # Each call on fresh objects, undone afterwards (a DELETE must not spoil the next).
        with transaction.atomic():
            response = call(key, user, api_as)
            transaction.set_rollback(True)
        calls += 1
        expected, answered = expected_outcome(key, role), outcome(response)
        if answered != expected:
            where = response.get("Location", "")
            differences.append(f"{key}: expected {expected}, got {answered} {where}".strip())
    report = "\n".join(differences)
    assert not differences, f"{role} is answered otherwise than the table says:\n{report}"
    assert calls == len(EXPECTED) > 80
