"""How soon the pipeline asks the CA again, and which steps share one task run."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from acme.client import ClientV2
from django.utils import timezone
from kombu import Connection

from acme_orders import pipeline
from acme_orders.choices import RequestStatus


def response(headers=None):
    return SimpleNamespace(headers=headers or {})


def waiting_since(seconds: float):
    return SimpleNamespace(updated_at=timezone.now() - timedelta(seconds=seconds))


def test_the_first_poll_comes_soon_after_the_wait_began():
    delay = pipeline.poll_delay(waiting_since(0), ClientV2, response())
    assert delay == pipeline.FIRST_POLL_SECONDS


def test_later_polls_back_off_with_the_time_waited_up_to_a_cap():
    assert pipeline.poll_delay(waiting_since(4), ClientV2, response()) == pytest.approx(2, abs=0.1)
    assert pipeline.poll_delay(waiting_since(600), ClientV2, response()) == (
        pipeline.MAX_POLL_SECONDS
    )


def test_a_retry_after_from_the_ca_wins_over_the_schedule():
    delay = pipeline.poll_delay(waiting_since(0), ClientV2, response({"Retry-After": "7"}))
    assert delay == pytest.approx(7, abs=0.5)


def test_steps_due_at_once_run_in_the_same_call(monkeypatch):
    request = SimpleNamespace(status=RequestStatus.VALIDATING, deadline_at=None)
    ran = []

    def validated(request, client):
        ran.append("validating")
        request.status = RequestStatus.ISSUING
        return 0

    def finalized(request, client):
        ran.append("issuing")
        return pipeline.FIRST_POLL_SECONDS

    monkeypatch.setattr(pipeline, "_validating", validated)
    monkeypatch.setattr(pipeline, "_issuing", finalized)
    assert pipeline.advance(request, client=None) == pipeline.FIRST_POLL_SECONDS
    assert ran == ["validating", "issuing"]


def test_a_step_that_keeps_answering_now_still_ends_the_run(monkeypatch):
    request = SimpleNamespace(status=RequestStatus.ISSUING, deadline_at=None)
    calls = []
    monkeypatch.setattr(pipeline, "_issuing", lambda request, client: calls.append(1) or 0)
    assert pipeline.advance(request, client=None) == 0  # rescheduled through the broker
    assert len(calls) == pipeline.MAX_STEPS_PER_RUN


def test_the_embedded_broker_is_polled_often(settings):
    import certlife.celery  # noqa: F401 (registers the transport)

    transport = Connection("sqla+sqlite:///:memory:").transport
    assert transport.polling_interval == settings.CERTLIFE_BROKER_POLLING_INTERVAL
    assert transport.polling_interval < 1  # kombu's default: a second per step
