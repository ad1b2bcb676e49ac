"""Protocol hygiene against Pebble started with -strict (issue #4): a valid authorization
is reused, not solved again; challenge types certlife does not use are ignored; the
authorizations of a failed order are deactivated; two tasks racing on one request make
one order; DEBUG logs hold no secret.

The test process plays the worker (`InProcessWorker`): it runs the real task body step
by step, so what the pipeline logs is captured here and the timing is the test's."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.acme_client import acme_client_for
from accounts.actions import register_account
from acme_orders import actions
from acme_orders.models import CertificateRequest
from tests.acme_orders.e2e_helpers import (
    PATIENCE_SECONDS,
    CaGatedTokenServer,
    InProcessWorker,
    new_request,
    orders_at_ca,
    post_as_get,
    secret_fragments,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def has_challenges(request) -> bool:
    return request.challenges.exists()


@pytest.fixture
def worker(monkeypatch):
    return InProcessWorker(monkeypatch)


@pytest.fixture
def strict_pebble(pebble_factory, acme_environment):
    # PEBBLE_AUTHZREUSE=100: a valid authorization is always reused (Pebble's default: half).
    return pebble_factory(strict=True, authz_reuse=100)


@pytest.fixture
def account(strict_pebble, administrator):
    return register_account(
        actor=administrator,
        name="Strict Pebble",
        email="admin@example.com",
        directory=strict_pebble.directory_url,
        agree_tos=True,
    )


@pytest.fixture
def site(strict_pebble):
    with CaGatedTokenServer(strict_pebble.http_port) as server:
        yield server


@pytest.fixture
def pebble_for_deactivation(pebble_factory, acme_environment):
    # Pebble 2.4 leaks read locks on the challenges of an authorization it shows as not
    # pending, so the validation still running when we deactivate one never finishes
    # and blocks that authorization for good; with reuse off (authz_reuse=0) no later
    # order looks at it. An instance of its own keeps the other tests clear of it.
    return pebble_factory(strict=True, authz_reuse=0)


def issue(worker, site, account, actor, names, **overrides) -> CertificateRequest:
    """A manual HTTP-01 request: the order, the tokens published, Verify, to the end."""
    request = worker.drive(new_request(account, actor, names, **overrides).pk, has_challenges)
    site.publish(request)
    actions.verify_request(request, actor=actor)
    return worker.drive(request.pk)


def authorization_status(account, url: str) -> str:
    return post_as_get(acme_client_for(account), url).json()["status"]


def test_challenge_types_certlife_does_not_use_are_ignored(worker, site, account, administrator):
    request = worker.drive(
        new_request(account, administrator, ["types.example.com"]).pk, has_challenges
    )
    [challenge] = request.challenges.all()
    offered = post_as_get(acme_client_for(account), challenge.authorization_url).json()
    by_type = {item["type"]: item["url"] for item in offered["challenges"]}
    assert {"http-01", "dns-01", "tls-alpn-01"} <= by_type.keys()
    assert challenge.challenge_url == by_type["http-01"]

    site.publish(request)
    actions.verify_request(request, actor=administrator)
    done = worker.drive(request.pk)
    assert done.status == "available", done.error


def test_a_valid_authorization_is_reused_without_solving_again(
    worker, site, account, administrator
):
    first = issue(worker, site, account, administrator, ["reuse.example.com"])
    assert first.status == "available", first.error
    assert site.ca_requests  # the first time the CA fetched the token
    site.requested_paths.clear()

    second = worker.drive(new_request(account, administrator, ["reuse.example.com"]).pk)
    assert second.status == "available", second.error
    [challenge] = second.challenges.all()
    assert (challenge.solver, challenge.status) == ("none", "valid")
    assert challenge.authorization_url == first.challenges.get().authorization_url
    assert site.requested_paths == []  # neither our pre-flight nor the CA fetched anything
    assert second.order_url != first.order_url


def test_after_a_validation_failure_the_pending_authorizations_are_deactivated(
    worker, pebble_for_deactivation, administrator
):
    account = register_account(
        actor=administrator,
        name="Strict Pebble without reuse",
        email="admin@example.com",
        directory=pebble_for_deactivation.directory_url,
        agree_tos=True,
    )
    with CaGatedTokenServer(pebble_for_deactivation.http_port) as site:
        failed, fails, waits = fail_one_of_two(worker, site, account, administrator)
        assert failed.status == "failed"
        assert "fails.example.com" in failed.error and "404" in failed.error
        # Asked while the CA still waits on the second name's answer.
        assert authorization_status(account, waits.authorization_url) == "deactivated"
        assert authorization_status(account, fails.authorization_url) == "invalid"


def fail_one_of_two(worker, site, account, administrator):
    names = ["fails.example.com", "waits.example.com"]
    request = worker.drive(new_request(account, administrator, names).pk, has_challenges)
    fails, waits = (request.challenges.get(domain=name) for name in names)
    # Our pre-flight sees both tokens; the CA gets a 404 for one, and waits for the other.
    site.publish(request)
    site.refused_to_ca.add(fails.token)
    site.held_for_ca.add(waits.token)
    actions.verify_request(request, actor=administrator)

    return worker.drive(request.pk), fails, waits


def test_a_request_that_gives_up_deactivates_its_authorizations(
    worker, site, account, administrator
):
    # Built-in responder, but nothing answers: the pre-flight check waits...
    request = new_request(
        account, administrator, ["gives-up.example.com"], use_builtin_http_responder=True
    )
    waiting = worker.drive(request.pk, lambda r: r.error.startswith("Waiting"))
    # ...until the validation deadline has passed.
    CertificateRequest.objects.filter(pk=request.pk).update(
        deadline_at=timezone.now() - timedelta(seconds=1)
    )
    failed = worker.drive(request.pk)
    assert failed.status == "failed" and failed.error.startswith("Gave up")
    [challenge] = waiting.challenges.all()
    assert authorization_status(account, challenge.authorization_url) == "deactivated"


def test_two_tasks_racing_on_one_request_place_one_order(worker, account, administrator):
    request = new_request(account, administrator, ["race.example.com", "www.race.example.com"])
    start = threading.Barrier(2)
    problems = []

    def run_task():
        try:
            start.wait(timeout=60)
            worker.task(request.pk)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            problems.append(error)
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=run_task) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PATIENCE_SECONDS)
    assert not problems
    request.refresh_from_db()
    assert request.order_url
    assert orders_at_ca(account) == [request.order_url]  # the CA's count, not ours
    assert request.challenges.count() == 2


def test_debug_logs_hold_no_private_key_keystore_password_or_account_key(
    worker, site, account, administrator, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="acme")
    password = "Keystore-Pass-4711-zebra"
    done = issue(
        worker,
        site,
        account,
        administrator,
        ["logs.example.com"],
        keystore_type="PKCS12",
        keystore_password=password,
    )
    assert done.status == "available", done.error

    logged = caplog.text
    # The acme library did log its requests at DEBUG, bodies included.
    assert "finalize" in logged.lower() and "csr" in logged.lower()
    secrets = [
        password,
        *secret_fragments(done.private_key_pem),
        *secret_fragments(account.key_pem),
    ]
    leaked = [secret for secret in secrets if secret in logged]
    assert leaked == []
