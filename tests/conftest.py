"""Shared fixtures: one named user per role, API clients, and the real-services harness."""

import os
import uuid

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from certlife.roles import ADMINISTRATOR, AUDITOR, OPERATOR
from tests.dns_providers.fakes import FILLER_ZONES, ZONES
from tests.dns_providers.fakes.route53 import start_moto_route53
from tests.harness.fixtures import *  # noqa: F403  (Pebble, BIND9, sshd, Celery, browser)

# Work that tests enqueue goes nowhere unless a test starts a worker (celery_worker
# points the app at Redis); Celery reads this variable over the configuration.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

PASSWORD = "Correct-Horse-7-battery"


@pytest.fixture(autouse=True)
def no_audit_source_left_over():
    """Tasks run in-process set the audit source ("worker") for their context; each test
    starts from none, as every web request, command and task does."""
    from certlife.audit import current_source

    token = current_source.set("")
    yield
    current_source.reset(token)


@pytest.fixture(autouse=True)
def uncounted_requests():
    """Throttling counts API calls and bad tokens in the cache shared by every process;
    each test starts with none counted, so tests never throttle one another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database name unique to this run, so two suites on one machine (two
    checkouts, CI beside a developer) never share or drop each other's database."""
    from django.conf import settings

    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    for database in settings.DATABASES.values():
        test = database.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{database['NAME']}"
        if name != ":memory:" and "mode=memory" not in name:
            test["NAME"] = f"{name}_{suffix}"


def _user_with_role(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        is_staff=role == ADMINISTRATOR,
    )
    user.groups.add(Group.objects.get(name=role))
    user.raw_password = PASSWORD
    return user


@pytest.fixture
def administrator(db, django_user_model):
    return _user_with_role(django_user_model, "alice-admin", ADMINISTRATOR)


@pytest.fixture
def operator(db, django_user_model):
    return _user_with_role(django_user_model, "oscar-operator", OPERATOR)


@pytest.fixture
def auditor(db, django_user_model):
    return _user_with_role(django_user_model, "audrey-auditor", AUDITOR)


@pytest.fixture
def no_role_user(db, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password=PASSWORD)
    user.raw_password = PASSWORD
    return user


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticated by that user's token."""
    from rest_framework.authtoken.models import Token

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def run_with_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """run_with_tasks(call): the call, then the Celery tasks it queued, run in-process."""
    from certlife.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


@pytest.fixture
def pebble_account(transactional_db, acme_environment, pebble, administrator):
    """An ACME account registered at the harness Pebble."""
    from accounts.actions import register_account

    return register_account(
        actor=administrator,
        name="Pebble",
        email="admin@example.com",
        directory=pebble.directory_url,
        agree_tos=True,
    )


@pytest.fixture(scope="session")
def moto_route53(tmp_path_factory):
    """Route 53 as moto in server mode (tests/dns_providers/fakes/route53.py)."""
    moto = start_moto_route53(tmp_path_factory.mktemp("moto"), ZONES + FILLER_ZONES[:3])
    yield moto
    moto.process.stop()


@pytest.fixture
def exploding_dns_library(monkeypatch):
    """Every RFC 2136 exchange raises dnspython's own EmptyLabel, an error no provider
    maps: the seam of an unexpected library failure (in this process only)."""
    import dns.name

    from dns_providers.providers.rfc2136 import Rfc2136Provider

    def explode(self, message):
        raise dns.name.EmptyLabel

    monkeypatch.setattr(Rfc2136Provider, "_send", explode)
