"""A real Celery worker on the local Redis, reading and writing the Django test database."""

import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from .process import ServiceProcess, port_accepts

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class CeleryWorker:
    queue: str
    broker_url: str
    database_url: str
    hostname: str
    process: ServiceProcess | None = field(default=None, repr=False)


def database_url(settings_dict: dict, vendor: str) -> str:
    """DATABASE_URL for the database Django is connected to (the test one, after setup)."""
    if vendor == "sqlite":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    if vendor == "postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = quote(settings_dict.get("HOST") or "", safe="")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    pytest.fail(f"the Celery worker harness does not know the {vendor} database", pytrace=False)


def _reset_broker_state(app):
    # Drop pooled connections and cached queue routing so the app re-reads its conf.
    # kombu keeps pools in a registry keyed by broker URL: clear that too, or pointing
    # at the same broker again hands back the pool just closed ("Acquire on closed pool").
    from kombu import pools

    pools.reset()
    app._pool = None
    for cached in ("amqp", "control"):
        app.__dict__.pop(cached, None)


class _PointedApp:
    """Points the in-process Celery app at the worker's broker and queue, and back."""

    def __init__(self, app, broker_url: str, queue: str):
        self.app = app
        self.settings = {"broker_url": broker_url, "task_default_queue": queue}
        self.saved_conf = {key: app.conf.get(key) for key in self.settings}
        self.saved_env = os.environ.get("CELERY_BROKER_URL")

    def __enter__(self):
        # Celery lets CELERY_BROKER_URL in the environment win over the configuration.
        os.environ["CELERY_BROKER_URL"] = self.settings["broker_url"]
        self.app.conf.update(self.settings)
        _reset_broker_state(self.app)
        return self.app

    def __exit__(self, *exc_info):
        self.app.conf.update(self.saved_conf)
        if self.saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = self.saved_env
        _reset_broker_state(self.app)


def _remove_queue_keys(broker_url: str, queue: str):
    import redis

    with redis.Redis.from_url(broker_url, socket_timeout=5) as client:
        client.delete(queue, f"_kombu.binding.{queue}")


def run_celery_worker(workdir: Path, database_url: str):
    """Generator: start the worker, point the app at it, yield, then stop and restore."""
    from certlife.celery import app

    broker_url = os.environ.get("CERTLIFE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    if not port_accepts(6379) and broker_url == DEFAULT_REDIS_URL:
        pytest.fail(
            "Redis is not answering on 127.0.0.1:6379: start it (Debian package redis-server) "
            "or set CERTLIFE_TEST_REDIS_URL",
            pytrace=False,
        )
    queue = f"certlife-test-{uuid.uuid4().hex[:12]}"
    worker = CeleryWorker(
        queue=queue,
        broker_url=broker_url,
        database_url=database_url,
        hostname=f"{queue}@harness",
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CERTLIFE_CELERY_QUEUE": queue,
    }
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "certlife",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        worker.hostname,
        "--loglevel=INFO",
        # Other workers on the broker are no concern of a test worker; skipping the
        # start-up exchange with them saves seconds.
        "--without-mingle",
        "--without-gossip",
    ]
    worker.process = ServiceProcess(
        "celery worker", argv, Path(workdir) / "celery-worker.log", env=env, cwd=REPO_ROOT
    )
    with _PointedApp(app, broker_url, queue):
        worker.process.start()
        try:
            worker.process.wait_ready(
                lambda: bool(app.control.ping(destination=[worker.hostname], timeout=0.5))
            )
            yield worker
        finally:
            worker.process.stop(timeout=10)
            _remove_queue_keys(broker_url, queue)


def run_celery_beat(workdir: Path, worker: CeleryWorker, *, sweep_seconds: int):
    """Generator: Celery beat sending the periodic tasks (certlife.celery) to `worker`'s
    queue, the renewal and ARI sweeps every `sweep_seconds`; stopped after."""
    env = {
        **os.environ,
        "DATABASE_URL": worker.database_url,
        "CELERY_BROKER_URL": worker.broker_url,
        "CERTLIFE_CELERY_QUEUE": worker.queue,
        "CERTLIFE_RENEWAL_SWEEP_SECONDS": str(sweep_seconds),
    }
    log_path = Path(workdir) / "celery-beat.log"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "certlife",
        "beat",
        "--loglevel=INFO",
        "-s",
        str(Path(workdir) / "celerybeat-schedule"),
    ]
    beat = ServiceProcess("celery beat", argv, log_path, env=env, cwd=REPO_ROOT)
    beat.start()
    try:
        beat.wait_ready(lambda: "beat: Starting" in beat.this_run_log())
        yield beat
    finally:
        beat.stop(timeout=10)
