"""Every write to alert channels (docs/conventions.md point 1): atomic, audited,
keyword-only `actor`. The audit detail names fields, never a target (a webhook URL is a
secret).

Target rules (the API's 400 names `target`):
- email: one or more addresses separated by commas, semicolons or white space, each a
  valid address; at most MAX_ADDRESSES. Stored as "a@example.com, b@example.com".
- webhook, slack, teams: an https URL that certlife.outbound accepts (no user name or
  password, no private or metadata address). Plain http is accepted only for a literal
  address inside CERTLIFE_ALLOWED_PRIVATE_NETWORKS (a receiver on this machine or in an
  allowed network), since nothing else would carry the URL's secret in the clear.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from alerts import messages
from alerts.alerting import raise_alert
from alerts.choices import URL_KINDS, AlertEvent, ChannelKind
from alerts.models import AlertChannel, AlertDelivery
from certlife.audit import record_audit_event
from certlife.outbound import RefusedDestination, address_problem, check_url, literal_address

MAX_ADDRESSES = 20
MAX_URL_LENGTH = 2000
ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


def _clean_addresses(target: str) -> str:
    addresses = [a for a in ADDRESS_SEPARATORS.split(target) if a]
    if not addresses:
        raise ValidationError({"target": ["Give at least one email address."]})
    if len(addresses) > MAX_ADDRESSES:
        raise ValidationError({"target": [f"At most {MAX_ADDRESSES} addresses per channel."]})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"target": [f"{address[:100]!r} is not an email address."]}
            ) from None
    return ", ".join(dict.fromkeys(addresses))


def _clean_url(target: str) -> str:
    url = target.strip()
    if not url:
        raise ValidationError({"target": ["Give the webhook URL."]})
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"target": [f"At most {MAX_URL_LENGTH} characters."]})
    try:
        check_url(url)
    except RefusedDestination as refusal:
        raise ValidationError({"target": [refusal.message]}) from None
    parts = urlsplit(url)
    if parts.scheme != "https":
        address = literal_address(parts.hostname or "")
        if address is None or address.is_global or address_problem(address) is not None:
            raise ValidationError(
                {
                    "target": [
                        "The URL must start with https:// (plain http only for an address "
                        "in CERTLIFE_ALLOWED_PRIVATE_NETWORKS)."
                    ]
                }
            )
    return url


def cleaned_target(kind: str, target: str) -> str:
    """The target checked by the rules of its kind (module docstring)."""
    if kind not in ChannelKind.values:
        known = ", ".join(ChannelKind.values)
        raise ValidationError({"kind": [f"Unknown kind {str(kind)[:40]!r}; one of: {known}."]})
    if kind in URL_KINDS:
        return _clean_url(target)
    return _clean_addresses(target)


@transaction.atomic
def create_alert_channel(
    *, name: str, kind: str, target: str, enabled: bool = True, actor
) -> AlertChannel:
    channel = AlertChannel(
        name=name.strip(), kind=kind, target=cleaned_target(kind, target), enabled=enabled
    )
    channel.full_clean(exclude=["target"])
    channel.save()
    record_audit_event(
        "alert_channel.create",
        actor=actor,
        target=channel,
        detail={"kind": kind, "enabled": enabled},
    )
    return channel


@transaction.atomic
def update_alert_channel(
    channel: AlertChannel,
    *,
    name: str | None = None,
    enabled: bool | None = None,
    target: str | None = None,
    actor,
) -> AlertChannel:
    """Change what is given. A URL target left empty keeps the stored one: it is never
    shown back, so a form cannot resend it. The kind never changes."""
    changed = []
    if name is not None and name.strip() != channel.name:
        channel.name = name.strip()
        changed.append("name")
    if enabled is not None and enabled != channel.enabled:
        channel.enabled = enabled
        changed.append("enabled")
    keeps_stored_url = channel.target_is_secret and not (target or "").strip()
    if target is not None and not keeps_stored_url:
        cleaned = cleaned_target(channel.kind, target)
        if cleaned != channel.target:
            channel.target = cleaned
            changed.append("target")
    if not changed:
        return channel
    channel.full_clean(exclude=["target"])
    channel.save(update_fields=[*changed, "updated_at"])
    record_audit_event(
        "alert_channel.update", actor=actor, target=channel, detail={"changed": changed}
    )
    return channel


@transaction.atomic
def delete_alert_channel(channel: AlertChannel, *, actor) -> None:
    record_audit_event(
        "alert_channel.delete", actor=actor, target=channel, detail={"kind": channel.kind}
    )
    channel.delete()


@transaction.atomic
def send_test_alert(channel: AlertChannel, *, actor) -> AlertDelivery:
    """A test alert to this channel alone (enabled or not), sent by a worker; its
    delivery shows whether it went out."""
    alert = raise_alert(
        AlertEvent.TEST,
        subject=messages.TEST_SUBJECT,
        message=messages.TEST_MESSAGE,
        url=messages.absolute_url(reverse("alert-channel-list")),
        channels=[channel],
    )
    record_audit_event("alert_channel.test", actor=actor, target=channel)
    return alert.deliveries.get()
