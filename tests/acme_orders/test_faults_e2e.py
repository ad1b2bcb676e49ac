"""Faults (issue #4): Pebble rejecting half of all nonces still issues every time, and
a worker killed with SIGKILL while a request is validating, and again while it is
issuing, leaves a request that a new worker and the stalled-request sweep finish with
one order and one certificate."""

import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.acme_client import acme_client_for
from accounts.actions import register_account
from acme_orders import actions, tasks
from acme_orders.models import CertificateRequest
from tests.acme_orders.e2e_helpers import (
    FINISHED,
    PATIENCE_SECONDS,
    CaGatedTokenServer,
    ForwardToLiveServer,
    chain_verifies,
    new_request,
    orders_at_ca,
    post_as_get,
    san_names,
    secret_fragments,
)
from tests.harness.celery_worker import (
    DEFAULT_REDIS_URL,
    REPO_ROOT,
    _PointedApp,
    _remove_queue_keys,
    database_url,
)
from tests.harness.process import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The killed worker's lease runs out after this; the sweep then takes the request up.
LEASE_SECONDS = 3


def wait_for(request_id, until, *, seconds: float = PATIENCE_SECONDS, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = CertificateRequest.objects.get(pk=request_id)
        if until(request):
            return request
        time.sleep(every)
    raise AssertionError(f"request {request_id} did not get there in {seconds} s: {request}")


def test_pebble_rejecting_half_the_nonces_issues_every_time(
    celery_worker, pebble_factory, acme_environment, administrator, live_server
):
    pebble = pebble_factory(nonce_reject=50)
    # Registering is itself a run of signed requests through the rejecting CA.
    account = register_account(
        actor=administrator,
        name="Pebble rejecting nonces",
        email="admin@example.com",
        directory=pebble.directory_url,
        agree_tos=True,
    )
    names = [f"nonce-{number}.example.com" for number in range(4)]
    with ForwardToLiveServer(pebble.http_port, live_server.url):
        requests = [
            new_request(account, administrator, [name], use_builtin_http_responder=True)
            for name in names
        ]
        done = [wait_for(request.pk, lambda r: r.status in FINISHED) for request in requests]
    assert [(r.status, r.error) for r in done] == [("available", "")] * len(names)
    for name, request in zip(names, done, strict=True):
        assert san_names(request.certificate_pem) == {name}
        chain_verifies(request.certificate_pem, request.chain_pem, pebble.root_pem())
    assert len(orders_at_ca(account)) == len(names)  # no order placed twice on a retry
    # Pebble does not log each rejection; over dozens of signed requests at 50 %, some
    # certainly were (the client retries each up to 15 times).
    assert "reject 50% of good nonces" in pebble.process.log_path.read_text()


class KillableWorker:
    """A Celery worker of this test alone on its own Redis queue, which the test kills
    with SIGKILL and starts again on the same queue, as a supervisor would."""

    def __init__(self, workdir: Path, database: str):
        self.workdir = workdir
        self.queue = f"certlife-faults-{uuid.uuid4().hex[:12]}"
        self.broker_url = os.environ.get("CERTLIFE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
        self.env = {
            **os.environ,
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": self.broker_url,
            "CERTLIFE_CELERY_QUEUE": self.queue,
            "CERTLIFE_REQUEST_LEASE_SECONDS": str(LEASE_SECONDS),
            "LOG_LEVEL": "DEBUG",  # the test then looks for secrets in the log
        }
        self.service: ServiceProcess | None = None
        self.starts = 0

    def start(self) -> None:
        from certlife.celery import app

        self.starts += 1
        hostname = f"{self.queue}-{self.starts}@harness"
        argv = [
            sys.executable, "-m", "celery", "-A", "certlife", "worker", "--pool=solo",
            "-Q", self.queue, "-n", hostname, "--loglevel=DEBUG",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        self.service = ServiceProcess(
            "celery worker", argv, self.workdir / "worker.log", env=self.env, cwd=REPO_ROOT
        )
        self.service.start()
        self.service.wait_ready(lambda: bool(app.control.ping(destination=[hostname], timeout=0.5)))

    def kill(self) -> None:
        self.service.process.send_signal(signal.SIGKILL)
        self.service.process.wait(timeout=5)
        self.service.stop()  # already gone; forgets it

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop(timeout=10)

    def forget_lost_messages(self) -> None:
        """The killed workers' reserved messages wait in kombu's `unacked` set for an hour
        before Redis hands them back; drop this queue's, so none outlives the test."""
        import redis

        with redis.Redis.from_url(self.broker_url, socket_timeout=5) as client:
            for tag, raw in client.hscan_iter("unacked"):
                if json.loads(raw)[-1] == self.queue:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)


@pytest.fixture
def killable_worker(django_db_setup, acme_environment, tmp_path, settings):
    from certlife.celery import app

    settings.CERTLIFE_REQUEST_LEASE_SECONDS = LEASE_SECONDS  # for the sweep run here
    worker = KillableWorker(tmp_path, database_url(connection.settings_dict, connection.vendor))
    with _PointedApp(app, worker.broker_url, worker.queue):
        try:
            yield worker
        finally:
            worker.stop()
            worker.forget_lost_messages()
            _remove_queue_keys(worker.broker_url, worker.queue)


def restart_and_sweep(worker: KillableWorker, request_id: int) -> None:
    """A new worker, then the periodic sweep once the request counts as stalled: its
    lease has run out and it has not changed (or its scheduled step has been overdue)
    for `stalled_after()`."""
    worker.start()
    request = CertificateRequest.objects.get(pk=request_id)
    due = (request.next_step_at or request.updated_at) + tasks.stalled_after()
    if request.lease_until:
        due = max(due, request.lease_until)
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.2)
    tasks.resume_stalled_requests()  # what beat runs every minute; it enqueues the step


def test_a_worker_killed_while_validating_then_while_issuing_resumes_without_a_second_order(
    killable_worker, pebble, pebble_account, administrator
):
    killable_worker.start()
    with CaGatedTokenServer(pebble.http_port) as site:
        request = new_request(pebble_account, administrator, ["killed.example.com"])
        request = wait_for(request.pk, lambda r: r.challenges.exists())
        site.publish(request)
        # The CA's HTTP-01 fetch waits for the test: validation stays in progress.
        site.held_for_ca.update(site.tokens)
        actions.verify_request(request, actor=administrator)
        wait_for(request.pk, lambda r: r.status == "validating", every=0.05)
        killable_worker.kill()
        assert CertificateRequest.objects.get(pk=request.pk).status == "validating"
        site.release.set()  # the CA validates while no worker runs

        restart_and_sweep(killable_worker, request.pk)
        # Issuing lasts about a second (finalize, then a poll one second later).
        wait_for(request.pk, lambda r: r.status == "issuing", every=0.02)
        killable_worker.kill()
        assert CertificateRequest.objects.get(pk=request.pk).status == "issuing"

        restart_and_sweep(killable_worker, request.pk)
        done = wait_for(request.pk, lambda r: r.status in FINISHED)
    assert done.status == "available", done.error
    assert orders_at_ca(pebble_account) == [done.order_url]  # no second newOrder
    client = acme_client_for(pebble_account)
    order = post_as_get(client, done.order_url).json()
    assert order["status"] == "valid"
    issued = post_as_get(client, order["certificate"]).text
    assert issued.startswith(done.certificate_pem)  # the order's one certificate is ours
    assert [c.status for c in done.challenges.all()] == ["valid"]
    worker_log = killable_worker.service.log_path.read_text()
    assert "advance_certificate_request" in worker_log
    secrets = [*secret_fragments(done.private_key_pem), *secret_fragments(pebble_account.key_pem)]
    assert [secret for secret in secrets if secret in worker_log] == []
