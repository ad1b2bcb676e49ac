"""The one gate for certificate files leaving certlife (spec P2, S1).

Every channel that hands out a certificate (download in the UI, the API, the command
line, email, deployment to an end server) describes what leaves as a `Release`, calls
`check_release` before it builds or sends anything, and `record_release` once it has.
Sending the certificate and its chain needs `export_certificate`; sending the private
key as well (PEM with key, PKCS#12 or JKS holding it) needs `export_private_key`, which
only administrators hold. A refusal is audited as denied and names who would have
received the file.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome

CERTIFICATE_PERMISSION = "acme_orders.export_certificate"
PRIVATE_KEY_PERMISSION = "acme_orders.export_private_key"


@dataclass(frozen=True)
class Release:
    """One certificate file leaving certlife: by whom, to whom, what it holds."""

    action: str  # the audit action, e.g. "certificate.email"
    actor: Any  # a user, or None for the command line without --as-user
    target: Any  # the request or repository certificate
    recipient: str  # an email address, a username downloading, a file path
    include_key: bool
    file_format: str

    def audit(self, outcome: str) -> None:
        detail = {
            "recipient": self.recipient,
            "include_key": self.include_key,
            "format": self.file_format,
        }
        record_audit_event(
            self.action, actor=self.actor, target=self.target, outcome=outcome, detail=detail
        )


def missing_permissions(actor, *, include_key: bool) -> list[str]:
    """What the actor lacks to release a certificate (and its key when asked).

    No actor means the command line run without --as-user: the server's own operator,
    trusted like the files on the server."""
    if actor is None:
        return []
    needed = [CERTIFICATE_PERMISSION, *([PRIVATE_KEY_PERMISSION] if include_key else [])]
    return [permission for permission in needed if not actor.has_perm(permission)]


def check_release(release: Release) -> None:
    """Raise PermissionDenied, audited as denied with the recipient, unless the actor
    may send this certificate (with its private key when `include_key`)."""
    missing = missing_permissions(release.actor, include_key=release.include_key)
    if not missing:
        return
    release.audit(AuditOutcome.DENIED)
    if missing == [PRIVATE_KEY_PERMISSION]:
        raise PermissionDenied(
            "Sending the private key needs the export_private_key permission; "
            "send the certificate and chain without the key instead."
        )
    raise PermissionDenied("Sending a certificate needs the export_certificate permission.")


def record_release(release: Release) -> None:
    """The audit event of a release that went out (or was queued to go out)."""
    release.audit(AuditOutcome.SUCCESS)


def record_deployment_release(sender, *, deployment, recipient: str, **kwargs) -> None:
    """Receiver of `agents.signals.private_key_sent` (connected in acme_orders/apps.py):
    a deployment sends a version's certificate and key to an end server (spec V6).

    It is not checked against the actor's permissions: the mapping with "Deploy
    certificate", made by someone allowed to manage mappings, is what authorises it,
    and saving or renewing (operators may) must deploy without an administrator. The
    event names who saved or retried (no one for the scheduler) and where the key went.
    agents sends a signal because it does not import acme_orders (docs/architecture.md).
    """
    Release(
        action="certificate.deploy",
        actor=deployment.requested_by,
        target=deployment.certificate,
        recipient=f"{deployment.host}:{recipient}",
        include_key=True,
        file_format="pem",
    ).audit(AuditOutcome.SUCCESS)
