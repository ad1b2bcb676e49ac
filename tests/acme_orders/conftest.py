"""Fixtures of the renewal tests (tests/acme_orders/test_renewal_*.py)."""

import json

import pytest

from acme_orders import tasks
from certlife.celery import app
from dns_providers.models import DnsAccount


@pytest.fixture
def renewal_dns_account(db):
    return DnsAccount.objects.create(
        provider="rfc2136", name="BIND", credentials=json.dumps({"server": "127.0.0.1"})
    )


@pytest.fixture
def no_network_tasks(monkeypatch):
    """Every task the actions enqueue is recorded, not sent."""
    sent = []
    for name in (tasks.advance_certificate_request.name, tasks.refresh_renewal_info.name):
        monkeypatch.setattr(
            app.tasks[name], "apply_async", lambda *a, _n=name, **k: sent.append((_n, a))
        )
    return sent
