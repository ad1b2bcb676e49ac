"""Every harness fixture; tests/conftest.py star-imports this module."""

import json

import pytest

from .bind import BindDns, start_bind
from .browser import launch_chromium
from .celery_worker import CeleryWorker, database_url, run_celery_worker
from .pebble import Pebble, start_pebble
from .ssh import SshServer, start_sshd

__all__ = [
    "bind_dns",
    "browser",
    "celery_worker",
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

    def pebble_with(**options) -> Pebble:
        key = json.dumps(options, sort_keys=True)
        if key not in started:
            started[key] = start_pebble(
                tmp_path_factory.mktemp("pebble"), f"{bind_dns.host}:{bind_dns.port}", **options
            )
        return started[key]

    yield pebble_with
    for instance in started.values():
        instance.process.stop()


@pytest.fixture(scope="session")
def pebble(pebble_factory) -> Pebble:
    return pebble_factory()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory) -> SshServer:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.process.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, tmp_path_factory) -> CeleryWorker:
    """A worker on its own Redis queue, using the test database; the in-process Celery
    app sends to that queue while the session lasts. Tests using it need
    `@pytest.mark.django_db(transaction=True)` so the worker sees their rows."""
    from django.db import connection

    # After django_db_setup the connection's NAME is the test database's.
    url = database_url(connection.settings_dict, connection.vendor)
    yield from run_celery_worker(tmp_path_factory.mktemp("celery"), url)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Playwright `Browser`) for the whole session."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh browser context whose relative URLs go to `live_server`."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
