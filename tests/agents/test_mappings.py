"""Which mapping answers a name, and the solver order of spec V7 (no network)."""

import json

import pytest
from django.utils import timezone

from accounts.models import AcmeAccount
from acme_orders import actions as request_actions
from acme_orders.models import CertificateRequest, Challenge
from acme_orders.solvers import choose_solver
from agents.domains import InvalidMappingDomain, normalize_mapping_domain, patterns_covering
from agents.mappings import has_automated_path, mapping_for
from agents.models import Agent, AgentMapping
from dns_providers.models import DnsAccount
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db

PINNED = "SHA256:" + "P" * 43


def linux(domain, **fields) -> AgentMapping:
    values = {
        "kind": "linux", "domain": domain, "host": "192.0.2.10", "username": "deploy",
        "password": "pw-1234", "web_root": "/var/www", "host_key_fingerprint": PINNED,
    }  # fmt: skip
    return AgentMapping.objects.create(**{**values, **fields})


def dns(domain) -> AgentMapping:
    return AgentMapping.objects.create(
        kind="dns", domain=domain, dns_provider="rfc2136", dns_credentials="{}"
    )


def pending_request(challenge_type="http-01", dns_account=None, **fields) -> CertificateRequest:
    account = AcmeAccount.objects.first() or make_acme_account()
    return CertificateRequest.objects.create(
        account=account,
        domains=["www.example.com"],
        challenge_type=challenge_type,
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        order_url="https://ca.example.net/order/1",
        dns_account=dns_account,
        **fields,
    )


def challenge_of(request, domain="www.example.com") -> Challenge:
    return Challenge(request=request, domain=domain, type=request.challenge_type)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("WWW.Example.com.", "www.example.com"), ("*.Bücher.example", "*.xn--bcher-kva.example")],
)
def test_mapping_domains_are_normalized(raw, stored):
    assert normalize_mapping_domain(raw) == stored


@pytest.mark.parametrize("raw", ["", "com", "a.*.example.com", "**.example.com", "-a.example.com"])
def test_bad_mapping_domains_are_refused(raw):
    with pytest.raises(InvalidMappingDomain):
        normalize_mapping_domain(raw)


def test_a_wildcard_mapping_covers_one_level_and_an_exact_one_wins():
    assert patterns_covering("www.example.com") == ["www.example.com", "*.example.com"]
    assert patterns_covering("example.com") == ["example.com"]  # no *.com
    wildcard = linux("*.example.com")
    assert mapping_for("www.example.com", "http-01") == wildcard
    assert mapping_for("a.b.example.com", "http-01") is None
    assert mapping_for("example.com", "http-01") is None
    exact = linux("www.example.com")
    assert mapping_for("www.example.com", "http-01") == exact


def test_only_ready_mappings_answer():
    linux("www.example.com", host_key_fingerprint="")  # not trusted yet
    linux("www.example.com", enabled=False)
    linux("www.example.com", web_root="", deploy=True)  # deploys only
    assert not has_automated_path("www.example.com", "http-01")
    assert not has_automated_path("www.example.com", "dns-01")
    dns("www.example.com")
    assert has_automated_path("www.example.com", "dns-01")


def test_precedence_mapping_then_dns_account_then_builtin_then_manual():
    account = DnsAccount.objects.create(provider="rfc2136", name="BIND", credentials=json.dumps({}))
    dns_request = pending_request("dns-01", dns_account=account)
    assert choose_solver(dns_request, challenge_of(dns_request)) == "dns"
    mapping = dns("*.example.com")
    challenge = challenge_of(dns_request)
    assert choose_solver(dns_request, challenge) == "dns-mapping"
    assert challenge.agent_mapping == mapping

    http_request = pending_request(use_builtin_http_responder=True)
    assert choose_solver(http_request, challenge_of(http_request)) == "builtin-http"
    linux("www.example.com")
    assert choose_solver(http_request, challenge_of(http_request)) == "ssh"
    manual = pending_request()
    assert choose_solver(manual, challenge_of(manual, "other.example.org")) == "manual"


def test_a_pull_agent_mapping_answers_until_its_agent_is_revoked():
    agent = Agent.objects.create(name="iis", token_hash="h", token_prefix="p")
    AgentMapping.objects.create(kind="windows", domain="www.example.com", agent=agent)
    request = pending_request()
    assert choose_solver(request, challenge_of(request)) == "agent"
    agent.revoked_at = timezone.now()
    agent.save()
    assert mapping_for("www.example.com", "http-01") is None
    assert choose_solver(request, challenge_of(request)) == "manual"


def test_a_new_mapping_moves_pending_names_to_it_and_starts_validation(
    administrator, monkeypatch, django_capture_on_commit_callbacks
):
    from acme_orders import tasks

    sent = []
    monkeypatch.setattr(tasks.advance_certificate_request, "delay", sent.append)
    request = pending_request()
    challenge = challenge_of(request)
    challenge.solver = choose_solver(request, challenge)
    challenge.save()
    assert challenge.solver == "manual"
    with django_capture_on_commit_callbacks(execute=True):
        from agents.actions import create_mapping

        create_mapping(
            kind="linux", domain="www.example.com", host="192.0.2.10", username="deploy",
            password="pw-1234", web_root="/var/www", host_key_fingerprint=PINNED,
            actor=administrator,
        )  # fmt: skip
    challenge.refresh_from_db()
    assert (challenge.solver, challenge.agent_mapping.domain) == ("ssh", "www.example.com")
    assert sent == [request.pk]  # every name automated: validation starts (V8)
    # Nothing changes the second time: no event, no step.
    assert request_actions.apply_agent_mappings(actor=administrator) == []
