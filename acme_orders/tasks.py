"""Celery tasks of the order pipeline (conventions point 3: load, claim, one step,
record the outcome)."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone

from accounts.acme_client import acme_client_for
from accounts.errors import AcmeError
from acme_orders import pipeline
from acme_orders.choices import RequestStatus
from acme_orders.exports import build_export
from acme_orders.models import CertificateRequest, Challenge
from certlife.audit import current_source, record_audit_event
from dns_providers.errors import DnsProviderError

logger = logging.getLogger(__name__)

TEMPORARY_RETRY_CAP_SECONDS = 600


def lease() -> timedelta:
    """One step is a few requests with time-outs; a worker that dies holding the lease
    frees the request after this long (CERTLIFE_REQUEST_LEASE_SECONDS, default 90 s)."""
    return timedelta(seconds=settings.CERTLIFE_REQUEST_LEASE_SECONDS)


def stalled_after() -> timedelta:
    # A request untouched for a lease and a third more lost its worker (2 min by default);
    # read at call time so tests can shorten the lease.
    return lease() * 4 / 3


def claim(request_id: int) -> bool:
    """Take the lease on an active request; False when another worker holds it."""
    now = timezone.now()
    claimed = (
        CertificateRequest.objects.filter(pk=request_id, status__in=pipeline.ACTIVE_STATUSES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease())
    )
    return claimed == 1


def release(request_id: int, next_in: float | None) -> None:
    """Free the lease and note when the next step is due (None: nothing scheduled)."""
    next_step_at = timezone.now() + timedelta(seconds=next_in) if next_in is not None else None
    CertificateRequest.objects.filter(pk=request_id).update(
        lease_until=None, next_step_at=next_step_at
    )


def fail_request(request: CertificateRequest, message: str, client=None) -> None:
    if client is not None:
        pipeline.abandon_authorizations(request, client)
    pipeline.cleanup_challenges(request)
    request.status = RequestStatus.FAILED
    request.error = message
    request.save(update_fields=["status", "error", "updated_at"])
    record_audit_event(
        "request.failed", actor=None, target=request, outcome="failure", detail={"error": message}
    )


@shared_task(acks_late=True)
def advance_certificate_request(request_id: int, attempt: int = 0) -> None:
    current_source.set("worker")
    if not claim(request_id):
        return  # finished, or another worker has it and will schedule what comes next
    next_in, attempt_next, client = None, 0, None
    try:
        request = CertificateRequest.objects.select_related("account", "certificate").get(
            pk=request_id
        )
        client = acme_client_for(request.account)
        next_in = pipeline.advance(request, client)
    except pipeline.RequestFailed as failure:
        fail_request(request, str(failure), client)
    except (AcmeError, DnsProviderError) as error:
        if error.permanent:
            fail_request(request, str(error), client)
        else:
            attempt_next = attempt + 1
            backoff = min(2**attempt_next * 5, TEMPORARY_RETRY_CAP_SECONDS)
            retry_after = getattr(error, "retry_after", None)
            next_in = retry_after or backoff * random.uniform(0.8, 1.2)  # noqa: S311
            logger.info("Request %s: %s; trying again in %.0f s", request_id, error, next_in)
    finally:
        release(request_id, next_in)
    if next_in is not None:
        advance_certificate_request.apply_async((request_id, attempt_next), countdown=next_in)


@shared_task
def resume_stalled_requests() -> None:
    """Requests whose worker died mid-step (its message lost with it) go on again."""
    for request_id in stalled_requests().values_list("pk", flat=True):
        advance_certificate_request.delay(request_id)
    clean_up_left_records()


def stalled_requests():
    """Active requests nobody holds and no scheduled step will pick up."""
    stale = timezone.now() - stalled_after()
    return CertificateRequest.objects.filter(
        Q(status__in=[RequestStatus.VALIDATING, RequestStatus.ISSUING])
        | Q(status=RequestStatus.PENDING, verify_requested=True)
        | Q(status=RequestStatus.PENDING, order_url=""),
        Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()),
        # A step scheduled for later is not stalled until well past its time.
        Q(next_step_at__isnull=True, updated_at__lt=stale) | Q(next_step_at__lt=stale),
    )


def clean_up_left_records() -> None:
    """TXT records of finished requests whose cleanup failed or whose worker died."""
    finished = [RequestStatus.AVAILABLE, RequestStatus.FAILED, RequestStatus.SAVED]
    left = Challenge.objects.filter(
        presented=True, cleaned_up=False, request__status__in=finished
    ).values_list("request_id", flat=True)
    for request in CertificateRequest.objects.filter(pk__in=set(left)):
        pipeline.cleanup_challenges(request)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_certificate_email(
    request_id: int, to: str, *, export_format: str, include_key: bool
) -> None:
    """Send what `actions.email_certificate` decided and audited: this format, with the
    private key only when `include_key`. Nothing is decided again here."""
    request = CertificateRequest.objects.get(pk=request_id)
    exported = build_export(
        export_format,
        name=request.common_name,
        certificate_pem=request.certificate_pem,
        chain_pem=request.chain_pem,
        private_key_pem=request.private_key_pem if include_key else None,
        password=request.keystore_password,
    )
    contents = "certificate, chain and private key" if include_key else "certificate and chain"
    message = EmailMessage(
        subject=f"Certificate for {request.common_name}",
        body=(
            f"The {contents} for {', '.join(request.domains)} are attached "
            f"({exported.filename}). Keystores are protected by the keystore password "
            "chosen when the certificate was requested."
        ),
        to=[to],
    )
    message.attach(exported.filename, exported.content, exported.content_type)
    message.send()
