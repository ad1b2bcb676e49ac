"""The audit log helper used by every action (spec S2)."""

from contextvars import ContextVar
from typing import Any

from certlife.choices import AuditOutcome
from certlife.models import AuditEvent

# Where the current action comes from: set per web request by AuditSourceMiddleware,
# by management commands ("cli") and by tasks ("scheduler", "worker").
current_source: ContextVar[str] = ContextVar("certlife_audit_source", default="")
# The current web request, whose user is the actor of writes audited by signals (user
# and group changes, certlife/signals.py), which are not handed one.
current_request: ContextVar[Any] = ContextVar("certlife_audit_request", default=None)


def acting_user():
    """The user of the current web request (read late: the API authenticates inside the
    view), or None outside a request."""
    return getattr(current_request.get(), "user", None)


def record_audit_event(
    action: str,
    *,
    actor,
    target=None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit event. `detail` must never carry a secret."""
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_person else None,
        actor_name=actor.get_username() if is_person else (current_source.get() or "system"),
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        source=current_source.get(),
        outcome=outcome,
        detail=detail or {},
    )


def client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy is trusted.
    return request.META.get("REMOTE_ADDR", "")


class AuditSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = current_source.set(client_address(request))
        current = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(current)
            current_source.reset(source)
