"""Every harness fixture; tests/conftest.py star-imports this module."""

import ipaddress
import json
import os

import pytest

from .bind import BindDns, start_bind
from .browser import launch_chromium
from .celery_worker import CeleryWorker, database_url, run_celery_beat, run_celery_worker
from .pebble import Pebble, start_pebble
from .process import ReservedPort
from .ssh import SshServer, start_sshd
from .tls import write_server_certificate

# Every harness service listens on loopback: the tests that reach one allow it, as an
# administrator with a local CA would (certlife.outbound refuses it by default).
LOOPBACK_NETWORK = "127.0.0.0/8"

__all__ = [
    "acme_environment",
    "allow_loopback",
    "ari_pebble",
    "celery_beat",
    "bind_dns",
    "browser",
    "celery_worker",
    "closed_port",
    "page",
    "pebble",
    "pebble_factory",
    "ssh_server",
]


@pytest.fixture(scope="session")
def bind_dns(tmp_path_factory) -> BindDns:
    bind = start_bind(tmp_path_factory.mktemp("bind"))
    yield bind
    bind.process.stop()


@pytest.fixture(scope="session")
def pebble_factory(bind_dns, tmp_path_factory):
    """`pebble_factory(**options)` -> Pebble (see start_pebble); one instance per options."""
    started: dict[str, Pebble] = {}
    # Every instance connects to one HTTP-01 port and serves one TLS CA, so the settings
    # given to a worker (acme_environment) fit whichever instance a test uses. The port
    # stays reserved for the session: a test's HTTP-01 server listens on it in turn.
    http_port = ReservedPort()
    shared = {
        "http_port": http_port.port,
        "tls_files": write_server_certificate(tmp_path_factory.mktemp("pebble-tls")),
    }

    def pebble_with(**options) -> Pebble:
        key = json.dumps(options, sort_keys=True)
        if key not in started:
            started[key] = start_pebble(
                tmp_path_factory.mktemp("pebble"),
                f"{bind_dns.host}:{bind_dns.port}",
                **shared,
                **options,
            )
        return started[key]

    yield pebble_with
    for instance in started.values():
        instance.process.stop()
    http_port.close()


@pytest.fixture(scope="session")
def pebble(pebble_factory) -> Pebble:
    return pebble_factory()


# The vendored Pebble's profiles (validity in seconds): "minutes" for real-time renewal
# tests, "default" as Let's Encrypt's classic 90 days. Tests name one in every order.
ARI_PEBBLE_PROFILES = {"minutes": 240, "default": 90 * 86400}


@pytest.fixture(scope="session")
def ari_pebble(pebble_factory) -> Pebble:
    """The Pebble built from tests/harness/vendor/ (ARI, profiles, `replaces`,
    alreadyReplaced), with ARI_PEBBLE_PROFILES; same TLS CA and HTTP-01 port as
    `pebble`, so acme_environment fits it too. It never reuses an authorization: every
    renewal validates its names again, as with short-lived certificates."""
    return pebble_factory(vendored=True, profiles=ARI_PEBBLE_PROFILES, authz_reuse=0)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that refuses connections (TCP, and UDP datagrams) for the whole
    test: held by us and never listening, so no other process can start answering."""
    with ReservedPort(udp_too=True) as reserved:
        yield reserved.port


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory) -> SshServer:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.process.stop()


@pytest.fixture(scope="session")
def acme_environment(pebble, bind_dns):
    """The environment that points certlife at the harness: names resolve through BIND,
    HTTP-01 pre-flight checks use Pebble's HTTP-01 port, Pebble's TLS CA is trusted,
    loopback addresses may be connected to. Set for this process (settings too) and
    inherited by the Celery worker."""
    from django.conf import settings

    values = {
        "CERTLIFE_DNS_RESOLVER": f"{bind_dns.host}:{bind_dns.port}",
        "CERTLIFE_DNS_AUTHORITATIVE_PORT": str(bind_dns.port),
        "CERTLIFE_HTTP01_PORT": str(pebble.http_port),
        "REQUESTS_CA_BUNDLE": pebble.ca_bundle,
        "CERTLIFE_ALLOWED_PRIVATE_NETWORKS": LOOPBACK_NETWORK,
    }
    saved = {name: os.environ.get(name) for name in values}
    saved_settings = {name: getattr(settings, name, None) for name in values}
    os.environ.update(values)
    for name, value in values.items():
        setattr(settings, name, _setting_value(name, value))
    yield values
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for name, value in saved_settings.items():
        setattr(settings, name, value)


def _setting_value(name: str, value: str):
    """The value certlife.settings reads from the environment variable `name`."""
    if name.endswith("_PORT"):
        return int(value)
    if name == "CERTLIFE_ALLOWED_PRIVATE_NETWORKS":
        return (ipaddress.ip_network(value),)
    return value


@pytest.fixture
def allow_loopback(settings):
    """certlife may connect to loopback addresses in this test (a local fake CA)."""
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network(LOOPBACK_NETWORK),)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, acme_environment, tmp_path_factory) -> CeleryWorker:
    """A worker on its own Redis queue, using the test database; the in-process Celery
    app sends to that queue while the session lasts. Tests using it need
    `@pytest.mark.django_db(transaction=True)` so the worker sees their rows."""
    from django.db import connection

    # After django_db_setup the connection's NAME is the test database's.
    url = database_url(connection.settings_dict, connection.vendor)
    yield from run_celery_worker(tmp_path_factory.mktemp("celery"), url)


@pytest.fixture
def celery_beat(celery_worker, tmp_path):
    """Celery beat for one test, sending to the session's worker, with the renewal and
    ARI sweeps every 5 seconds instead of every minute."""
    yield from run_celery_beat(tmp_path, celery_worker, sweep_seconds=5)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Playwright `Browser`) for the whole session."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh browser context whose relative URLs go to `live_server`."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(30_000)  # generous: the machine may be busy
    try:
        yield context.new_page()
    finally:
        context.close()
