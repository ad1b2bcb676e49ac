"""Every action writes its audit event (spec S2): one table row per public function of
the action modules, saying what a call must leave in the audit log (event name, the
target it names, the actor, the outcome), with a failure or denied row where the action
audits one. The modules are introspected, so a new action without a row fails here.

Account actions talk to the harness Pebble; the others need no CA. Tasks the actions
send are recorded, not sent."""

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.authtoken.models import Token

import accounts.actions
import acme_orders.actions
import agents.actions
import agents.agent_actions
import agents.deployment_actions
import alerts.actions
import certlife.actions
import dns_providers.actions
from accounts import actions as account_actions
from accounts.models import AcmeAccount
from acme_orders import actions as request_actions
from acme_orders.models import CertificateRequest, Challenge
from acme_orders.request_settings import RequestSettings
from agents import actions as mapping_actions
from agents import agent_actions
from agents.models import AgentMapping
from alerts import actions as alert_actions
from alerts.models import AlertChannel
from certlife import actions as platform_actions
from certlife.celery import app
from certlife.choices import AuditOutcome
from certlife.models import AuditEvent
from dns_providers import actions as dns_actions
from dns_providers.models import DnsAccount
from tests.factories import (
    make_acme_account,
    make_failed_deployment,
    make_key_pem,
    make_repository_certificate,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ACTION_MODULES: tuple[ModuleType, ...] = (
    accounts.actions,
    acme_orders.actions,
    dns_providers.actions,
    certlife.actions,
    alerts.actions,
    agents.agent_actions,
    agents.deployment_actions,
    agents.actions,
)

# Public functions of the action modules that are not actions: they write nothing.
NOT_ACTIONS = {
    "dns_providers.actions.provider_class_for": "looks up the provider registry; no write",
    "dns_providers.actions.cleaned_credentials": "validates credentials; no write",
    "alerts.actions.cleaned_target": "validates a channel's target; no write",
}

SUCCESS, FAILURE, DENIED = AuditOutcome.SUCCESS, AuditOutcome.FAILURE, AuditOutcome.DENIED


def public_functions(module: ModuleType) -> set[str]:
    return {
        f"{module.__name__}.{name}"
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def target_of(thing) -> tuple[str, str]:
    """The target an event must name, taken before the action (a delete clears the pk)."""
    return (thing._meta.label, str(thing.pk))


NO_TARGET = ("", "")


class World:
    """The objects the rows act on, made on demand (without audit events of their own,
    except accounts registered at Pebble through the action)."""

    def __init__(self, request):
        self._request = request

    def user(self, role: str):
        return self._request.getfixturevalue(role)

    @property
    def pebble(self):
        return self._request.getfixturevalue("pebble")

    def registered_account(self) -> AcmeAccount:
        return account_actions.register_account(
            actor=self.user("administrator"),
            name="Pebble",
            email="admin@example.com",
            directory=self.pebble.directory_url,
            agree_tos=True,
        )

    def local_account(self) -> AcmeAccount:
        return make_acme_account(name="Local")

    def dns_account(self) -> DnsAccount:
        credentials = {
            "server": "127.0.0.1",
            "port": "53",
            "key_name": "k",
            "key_secret": "c2VjcmV0",
            "algorithm": "hmac-sha256",
            "zone": "",
        }
        return DnsAccount.objects.create(
            provider="rfc2136", name="BIND", credentials=json.dumps(credentials)
        )

    def request(self, status="pending", **fields) -> CertificateRequest:
        defaults = {
            "account": self.local_account(),
            "domains": ["audit.example.com"],
            "challenge_type": "http-01",
            "key_algorithm": "EC",
            "key_size": 256,
            "signature_algorithm": "SHA256withECDSA",
            "keystore_type": "PEM",
            "order_url": "https://ca.example.net/order/1",
        }
        return CertificateRequest.objects.create(**{**defaults, **fields, "status": status})

    def mapping(self, **fields) -> AgentMapping:
        values = {
            "kind": "linux", "domain": "audit.example.com", "host": "192.0.2.10",
            "username": "deploy", "password": "audit-password", "web_root": "/var/www",
            "host_key_fingerprint": "SHA256:" + "A" * 43,
        }  # fmt: skip
        return AgentMapping.objects.create(**{**values, **fields})

    def certificate(self):
        return make_repository_certificate(["audit.example.com"])

    def available_request(self) -> CertificateRequest:
        version = self.certificate().current_version
        return self.request(
            "available",
            certificate_pem=version.certificate_pem,
            chain_pem=version.chain_pem,
            private_key_pem=version.private_key_pem,
        )


@dataclass(frozen=True)
class Row:
    """`call(world)` runs the action once and returns the target its event must name."""

    call: Callable[[World], tuple[str, str]]
    event: str
    actor: str | None = "administrator"  # a role fixture, or None for the system
    outcome: str = SUCCESS


TABLE: dict[str, list[Row]] = {}


def row(function, event: str, *, actor: str | None = "administrator", outcome=SUCCESS):
    def register(call):
        name = f"{function.__module__}.{function.__name__}"
        TABLE.setdefault(name, []).append(Row(call, event, actor, outcome))
        return call

    return register


def refused(call, error=ValidationError):
    with pytest.raises(error):
        call()


# accounts.actions


@row(account_actions.register_account, "account.register")
def register(world):
    return target_of(world.registered_account())


@row(account_actions.register_account, "account.register", outcome=FAILURE)
def register_without_terms(world):
    refused(
        lambda: account_actions.register_account(
            actor=world.user("administrator"),
            name="Pebble",
            email="admin@example.com",
            directory=world.pebble.directory_url,
            agree_tos=False,
        )
    )
    return NO_TARGET


def _key_with_an_account_at(directory_url: str) -> str:
    from accounts import ca_operations

    key_pem = make_key_pem()
    ca_operations.create_account(directory_url, key_pem, email="admin@example.com")
    return key_pem


@row(account_actions.import_account, "account.import")
def import_existing(world):
    directory = world.pebble.directory_url
    account = account_actions.import_account(
        actor=world.user("administrator"),
        name="Imported",
        email="admin@example.com",
        directory=directory,
        key_pem=_key_with_an_account_at(directory),
    )
    return target_of(account)


@row(account_actions.import_account, "account.import", outcome=FAILURE)
def import_a_key_without_account(world):
    refused(
        lambda: account_actions.import_account(
            actor=world.user("administrator"),
            name="Imported",
            email="admin@example.com",
            directory=world.pebble.directory_url,
            key_pem=make_key_pem(),
        )
    )
    return NO_TARGET


@row(account_actions.update_account_email, "account.update_email")
def update_email(world):
    account = world.registered_account()
    account_actions.update_account_email(
        account, actor=world.user("administrator"), email="new@example.com"
    )
    return target_of(account)


@row(account_actions.update_account_email, "account.update_email", outcome=FAILURE)
def update_email_with_a_bad_address(world):
    account = world.local_account()
    refused(
        lambda: account_actions.update_account_email(
            account, actor=world.user("administrator"), email="not-an-address"
        )
    )
    return target_of(account)


@row(account_actions.export_account_key, "account.export_key")
def export_key(world):
    account = world.local_account()
    account_actions.export_account_key(account, actor=world.user("administrator"))
    return target_of(account)


@row(account_actions.delete_account, "account.delete")
def delete_account(world):
    account = world.local_account()
    target = target_of(account)
    account_actions.delete_account(account, actor=world.user("administrator"))
    return target


@row(account_actions.delete_account, "account.delete", outcome=FAILURE)
def delete_an_account_in_use(world):
    account = world.request().account
    refused(lambda: account_actions.delete_account(account, actor=world.user("administrator")))
    return target_of(account)


@row(account_actions.deactivate_account, "account.deactivate")
def deactivate(world):
    account = world.registered_account()
    account_actions.deactivate_account(account, actor=world.user("administrator"))
    return target_of(account)


@row(account_actions.deactivate_account, "account.deactivate", outcome=FAILURE)
def deactivate_twice(world):
    account = world.local_account()
    account.status = "deactivated"
    account.save()
    refused(lambda: account_actions.deactivate_account(account, actor=world.user("administrator")))
    return target_of(account)


# acme_orders.actions


@row(request_actions.request_certificate, "request.create", actor="operator")
def request_a_certificate(world):
    settings = RequestSettings(
        account=world.local_account(),
        domains=["new.example.com"],
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
    )
    request = request_actions.request_certificate(actor=world.user("operator"), settings=settings)
    return target_of(request)


@row(request_actions.verify_request, "request.verify", actor="operator")
def verify(world):
    request = world.request()
    request_actions.verify_request(request, actor=world.user("operator"))
    return target_of(request)


@row(request_actions.new_challenge, "request.new_challenge", actor="operator")
def new_challenge(world):
    request = world.request("failed")
    request_actions.new_challenge(request, actor=world.user("operator"))
    return target_of(request)


@row(request_actions.assign_dns_account, "request.assign_dns", actor="operator")
def assign_dns(world):
    request = world.request(challenge_type="dns-01")
    request_actions.assign_dns_account(
        request, dns_account=world.dns_account(), actor=world.user("operator")
    )
    return target_of(request)


@row(request_actions.renew_certificate, "request.create", actor="operator")
def renew(world):
    issued = world.available_request()
    certificate = request_actions.save_to_repository(issued, actor=world.user("operator"))
    renewal = request_actions.renew_certificate(certificate, actor=world.user("operator"))
    return target_of(renewal)


@row(request_actions.retry_renewal, "certificate.retry_renewal", actor="operator")
def retry_renewal(world):
    certificate = world.certificate()
    request_actions.retry_renewal(certificate, actor=world.user("operator"))
    return target_of(certificate)


@row(request_actions.set_auto_renew, "certificate.auto_renew", actor="operator")
def set_auto_renew(world):
    certificate = world.certificate()
    request_actions.set_auto_renew(certificate, enabled=False, actor=world.user("operator"))
    return target_of(certificate)


def _certificate_issued_by_pebble(world):
    from tests.acme_orders.e2e_helpers import InProcessWorker, issue_manually, new_request

    administrator = world.user("administrator")
    worker = InProcessWorker(world._request.getfixturevalue("monkeypatch"))
    request = new_request(world.registered_account(), administrator, ["revoke.example.com"])
    issued = issue_manually(worker, world.pebble, request, actor=administrator)
    return request_actions.save_to_repository(issued, actor=administrator)


@row(request_actions.revoke_certificate, "certificate.revoke")
def revoke(world):
    certificate = _certificate_issued_by_pebble(world)
    request_actions.revoke_certificate(
        certificate, reason="cessationOfOperation", actor=world.user("administrator")
    )
    return target_of(certificate)


@row(request_actions.revoke_certificate, "certificate.revoke", outcome=FAILURE)
def revoke_without_a_reason(world):
    certificate = world.certificate()
    refused(
        lambda: request_actions.revoke_certificate(
            certificate, reason="", actor=world.user("administrator")
        )
    )
    return target_of(certificate)


@row(request_actions.delete_certificate, "certificate.delete")
def delete_certificate(world):
    certificate = world.certificate()
    target = target_of(certificate)
    request_actions.delete_certificate(certificate, actor=world.user("administrator"))
    return target


@row(request_actions.save_to_repository, "certificate.save", actor="operator")
def save(world):
    certificate = request_actions.save_to_repository(
        world.available_request(), actor=world.user("operator")
    )
    return target_of(certificate)


def _export_files(world, certificate, role: str, *, include_key: bool):
    version = certificate.current_version
    request_actions.export_certificate_files(
        actor=world.user(role),
        name="audit.example.com",
        certificate_pem=version.certificate_pem,
        chain_pem="",
        private_key_pem=version.private_key_pem,
        export_format="pem",
        include_key=include_key,
        password="",
        target=certificate,
    )


@row(request_actions.export_certificate_files, "certificate.export")
def export_files_with_key(world):
    certificate = world.certificate()
    _export_files(world, certificate, "administrator", include_key=True)
    return target_of(certificate)


@row(
    request_actions.export_certificate_files, "certificate.export", actor="operator", outcome=DENIED
)
def export_files_key_denied(world):
    certificate = world.certificate()
    refused(
        lambda: _export_files(world, certificate, "operator", include_key=True), PermissionDenied
    )
    return target_of(certificate)


@row(request_actions.request_export_file, "certificate.export", actor="operator")
def export_request(world):
    request = world.available_request()
    request_actions.request_export_file(
        request, actor=world.user("operator"), export_format="pem", include_key=False, password=""
    )
    return target_of(request)


@row(request_actions.request_export_file, "certificate.export", actor="operator", outcome=DENIED)
def export_request_key_denied(world):
    request = world.available_request()
    refused(
        lambda: request_actions.request_export_file(
            request,
            actor=world.user("operator"),
            export_format="pem",
            include_key=True,
            password="",
        ),
        PermissionDenied,
    )
    return target_of(request)


@row(request_actions.certificate_export_file, "certificate.export", actor="operator")
def export_certificate(world):
    certificate = world.certificate()
    request_actions.certificate_export_file(
        certificate,
        actor=world.user("operator"),
        export_format="pem",
        include_key=False,
        password="",
    )
    return target_of(certificate)


@row(
    request_actions.certificate_export_file, "certificate.export", actor="operator", outcome=DENIED
)
def export_certificate_key_denied(world):
    certificate = world.certificate()
    refused(
        lambda: request_actions.certificate_export_file(
            certificate,
            actor=world.user("operator"),
            export_format="pem",
            include_key=True,
            password="",
        ),
        PermissionDenied,
    )
    return target_of(certificate)


@row(request_actions.email_certificate, "certificate.email", actor="operator")
def email(world):
    request = world.available_request()
    request_actions.email_certificate(
        request, actor=world.user("operator"), to="a@example.com", include_key=False
    )
    return target_of(request)


# dns_providers.actions


@row(dns_actions.create_dns_account, "dns_account.create")
def create_dns(world):
    account = dns_actions.create_dns_account(
        provider="route53",
        name="Route 53",
        credentials={"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "s3cr3t"},
        actor=world.user("administrator"),
    )
    return target_of(account)


@row(dns_actions.update_dns_account, "dns_account.update")
def update_dns(world):
    account = world.dns_account()
    dns_actions.update_dns_account(account, name="Renamed", actor=world.user("administrator"))
    return target_of(account)


@row(dns_actions.set_dns_account_enabled, "dns_account.update")
def disable_dns(world):
    account = world.dns_account()
    dns_actions.set_dns_account_enabled(account, enabled=False, actor=world.user("administrator"))
    return target_of(account)


@row(dns_actions.delete_dns_account, "dns_account.delete")
def delete_dns(world):
    account = world.dns_account()
    target = target_of(account)
    dns_actions.delete_dns_account(account, actor=world.user("administrator"))
    return target


@row(dns_actions.start_connection_test, "dns_account.test_connection")
def start_test(world):
    account = world.dns_account()
    dns_actions.start_connection_test(account, actor=world.user("administrator"))
    return target_of(account)


@row(dns_actions.record_connection_test, "dns_account.test_connection_result", actor=None)
def connection_test_passed(world):
    account = world.dns_account()
    dns_actions.record_connection_test(account, passed=True, message="ok", actor=None)
    return target_of(account)


@row(
    dns_actions.record_connection_test,
    "dns_account.test_connection_result",
    actor=None,
    outcome=FAILURE,
)
def connection_test_failed(world):
    account = world.dns_account()
    dns_actions.record_connection_test(account, passed=False, message="refused", actor=None)
    return target_of(account)


# alerts.actions


def email_channel() -> AlertChannel:
    return AlertChannel.objects.create(name="Team", kind="email", target="team@example.com")


@row(alert_actions.create_alert_channel, "alert_channel.create")
def create_channel(world):
    channel = alert_actions.create_alert_channel(
        name="Hook",
        kind="webhook",
        target="https://hooks.example.com/secret",
        actor=world.user("administrator"),
    )
    return target_of(channel)


@row(alert_actions.update_alert_channel, "alert_channel.update")
def update_channel(world):
    channel = email_channel()
    alert_actions.update_alert_channel(
        channel, target="ops@example.com", actor=world.user("administrator")
    )
    return target_of(channel)


@row(alert_actions.delete_alert_channel, "alert_channel.delete")
def delete_channel(world):
    channel = email_channel()
    target = target_of(channel)
    alert_actions.delete_alert_channel(channel, actor=world.user("administrator"))
    return target


@row(alert_actions.send_test_alert, "alert_channel.test")
def send_channel_test(world):
    channel = email_channel()
    alert_actions.send_test_alert(channel, actor=world.user("administrator"))
    return target_of(channel)


@row(request_actions.apply_agent_mappings, "request.solvers_chosen", actor="operator")
def apply_agent_mappings(world):
    request = world.request()
    Challenge.objects.create(
        request=request, domain="audit.example.com", type="http-01", token="audit-token",
        authorization_url="https://ca.example.net/authz/1", key_authorization="audit-token.t",
    )  # fmt: skip
    world.mapping()
    request_actions.apply_agent_mappings(actor=world.user("operator"))
    return target_of(request)


# agents.actions


@row(mapping_actions.create_mapping, "agent_mapping.create", actor="operator")
def create_mapping(world):
    mapping = mapping_actions.create_mapping(
        kind="linux", domain="new.example.com", host="192.0.2.10", username="deploy",
        password="audit-password", web_root="/var/www", actor=world.user("operator"),
    )  # fmt: skip
    return target_of(mapping)


@row(mapping_actions.update_mapping, "agent_mapping.update", actor="operator")
def update_mapping(world):
    mapping = world.mapping()
    mapping_actions.update_mapping(mapping, web_root="/srv/www", actor=world.user("operator"))
    return target_of(mapping)


@row(mapping_actions.delete_mapping, "agent_mapping.delete")
def delete_mapping(world):
    mapping = world.mapping()
    target = target_of(mapping)
    mapping_actions.delete_mapping(mapping, actor=world.user("administrator"))
    return target


@row(mapping_actions.trust_host_key, "agent_mapping.trust_host_key", actor="operator")
def trust_host_key(world):
    seen = "SHA256:" + "B" * 43
    mapping = world.mapping(host_key_fingerprint="", seen_host_key_fingerprint=seen)
    mapping_actions.trust_host_key(mapping, fingerprint=seen, actor=world.user("operator"))
    return target_of(mapping)


@row(mapping_actions.fetch_host_key_again, "agent_mapping.fetch_host_key", actor="operator")
def fetch_host_key_again(world):
    mapping = world.mapping()
    mapping_actions.fetch_host_key_again(mapping, actor=world.user("operator"))
    return target_of(mapping)


# certlife.actions


@row(platform_actions.create_api_token, "api_token.create", actor="operator")
def create_token(world):
    operator = world.user("operator")
    platform_actions.create_api_token(actor=operator)
    return target_of(operator)


@row(platform_actions.revoke_api_token, "api_token.revoke", actor="operator")
def revoke_token(world):
    operator = world.user("operator")
    Token.objects.create(user=operator)
    platform_actions.revoke_api_token(actor=operator)
    return target_of(operator)


@row(platform_actions.ensure_first_administrator, "user.create_first_administrator", actor=None)
def first_administrator(world):
    from django.contrib.auth import get_user_model

    assert platform_actions.ensure_first_administrator(username="root", password="x-Y-z-12345")
    return target_of(get_user_model().objects.get(username="root"))


# agents.agent_actions (pull agents)


@row(agent_actions.create_agent, "agent.create")
def create_agent(world):
    agent, _ = agent_actions.create_agent(name="IIS 1", actor=world.user("administrator"))
    return target_of(agent)


@row(agent_actions.revoke_agent, "agent.revoke")
def revoke_agent(world):
    agent, _ = agent_actions.create_agent(name="IIS 1", actor=None)
    agent_actions.revoke_agent(agent, actor=world.user("administrator"))
    return target_of(agent)


@row(agent_actions.download_agent_package, "agent.package_download")
def download_agent_package(world):
    agent, _ = agent_actions.create_agent(name="IIS 1", actor=None)
    agent_actions.download_agent_package(
        agent, server_url="https://certlife.example.net", actor=world.user("administrator")
    )
    return target_of(agent)


# agents.deployment_actions


@row(agents.deployment_actions.retry_deployment, "deployment.retry", actor="operator")
def retry_deployment(world):
    deployment = make_failed_deployment(world.certificate())
    agents.deployment_actions.retry_deployment(deployment, actor=world.user("operator"))
    return target_of(deployment)


def test_every_public_function_of_the_action_modules_has_a_row():
    found = set().union(*(public_functions(module) for module in ACTION_MODULES))
    missing = sorted(found - TABLE.keys() - NOT_ACTIONS.keys())
    assert not missing, f"add a row to TABLE (or NOT_ACTIONS) for: {missing}"
    assert not (TABLE.keys() | NOT_ACTIONS.keys()) - found, "rows for functions that are gone"


@pytest.fixture
def sent_tasks(monkeypatch):
    """Every task an action sends is recorded here instead of reaching a broker."""
    sent = []
    for name, task in app.tasks.items():
        if not name.startswith("celery."):
            monkeypatch.setattr(task, "apply_async", lambda *a, _n=name, **k: sent.append(_n))
    return sent


CASES = [(name, each) for name, rows in TABLE.items() for each in rows]


@pytest.mark.parametrize(
    ("name", "case"), CASES, ids=[f"{n.rsplit('.', 1)[1]}-{c.call.__name__}" for n, c in CASES]
)
def test_the_action_writes_its_audit_event(name, case, request, sent_tasks, acme_environment):
    world = World(request)
    actor = world.user(case.actor) if case.actor else None
    last_event_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    target = case.call(world)
    events = list(AuditEvent.objects.filter(pk__gt=last_event_before or 0, action=case.event))
    assert len(events) == 1, f"{name} wrote {len(events)} {case.event!r} events, not one"
    (event,) = events
    assert (event.outcome, (event.target_type, event.target_id)) == (case.outcome, target)
    if actor is None:
        assert (event.actor, event.actor_name) == (None, "system")
    else:
        assert (event.actor, event.actor_name) == (actor, actor.get_username())
