"""Celery tasks of the order pipeline (docs/conventions.md point 3: load, claim, one step,
record the outcome)."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from accounts.acme_client import (
    acme_client_for,
    forget_reused_acme_clients,
    reused_acme_client_for,
)
from accounts.errors import AcmeError
from acme_orders import pipeline, renewal
from acme_orders.choices import RequestStatus
from acme_orders.exports import build_export
from acme_orders.models import CertificateRequest, Challenge
from agents.errors import AgentError
from certlife import unexpected_errors
from certlife.audit import current_source, record_audit_event
from certlife.choices import AuditOutcome
from dns_providers.errors import DnsLookupError, DnsProviderError

logger = logging.getLogger(__name__)

RETRY_CAP_SECONDS = 600
# Attempts at one step that end in an unexpected error or a stopped worker before the
# request fails: with the backoff below, about two and a half minutes of trying.
MAX_STEP_ATTEMPTS = 5
RETRYING_NOTICE = "Retrying after "


def lease() -> timedelta:
    """One step is a few requests with time-outs; a worker that dies holding the lease
    frees the request after this long (CERTLIFE_REQUEST_LEASE_SECONDS, default 90 s)."""
    return timedelta(seconds=settings.CERTLIFE_REQUEST_LEASE_SECONDS)


def stalled_after() -> timedelta:
    # A request untouched for a lease and a third more lost its worker (2 min by default);
    # read at call time so tests can shorten the lease.
    return lease() * 4 / 3


def backoff_seconds(attempt: int) -> float:
    """Capped exponential backoff with jitter: about 10, 20, 40, 80 s... at most 10 min."""
    return min(2**attempt * 5, RETRY_CAP_SECONDS) * random.uniform(0.8, 1.2)  # noqa: S311


def claim(request_id: int) -> bool:
    """Take the lease on an active request and count the attempt (`interrupted_steps`,
    back to 0 when the step finishes); False when another worker holds it."""
    now = timezone.now()
    claimed = (
        CertificateRequest.objects.filter(pk=request_id, status__in=pipeline.ACTIVE_STATUSES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease(), interrupted_steps=F("interrupted_steps") + 1)
    )
    return claimed == 1


def release(request_id: int, next_in: float | None, *, step_finished: bool) -> None:
    """Free the lease and note when the next step is due (None: nothing scheduled). A
    step that did not finish keeps its attempt counted."""
    next_step_at = timezone.now() + timedelta(seconds=next_in) if next_in is not None else None
    finished = {"interrupted_steps": 0} if step_finished else {}
    CertificateRequest.objects.filter(pk=request_id).update(
        lease_until=None, next_step_at=next_step_at, **finished
    )


def fail_request(request: CertificateRequest, message: str, client=None) -> None:
    """End the request as failed with `message`, after deactivating its open
    authorizations and removing what was published. Those two are best effort: the
    request is marked failed whatever they raise (left records go to the sweep)."""
    not_deactivated = f"Request {request.pk}: its open authorizations were not deactivated"
    try:
        if request.challenges.filter(status__in=pipeline.OPEN_CHALLENGE_STATUSES).exists():
            pipeline.abandon_authorizations(request, client or acme_client_for(request.account))
    except AcmeError as error:  # no client to deactivate with: the CA is out of reach
        logger.warning("%s: %s", not_deactivated, error)
    except Exception as error:
        pipeline.log_unexpected_error(request, not_deactivated, error)
    try:
        pipeline.cleanup_challenges(request)
    except Exception as error:
        pipeline.log_unexpected_error(request, f"Request {request.pk}: cleanup failed", error)
    request.status = RequestStatus.FAILED
    request.error = message
    request.interrupted_steps = 0  # a New challenge starts with a clean count
    request.save(update_fields=["status", "error", "interrupted_steps", "updated_at"])
    record_audit_event(
        "request.failed",
        actor=None,
        target=request,
        outcome=AuditOutcome.FAILURE,
        detail={"error": message},
    )
    renewal.automatic_request_failed(request)


@shared_task(acks_late=True)
def advance_certificate_request(request_id: int, attempt: int = 0) -> None:
    """Run the request's next step and schedule the one after. `attempt` counts the
    temporary CA or DNS errors in a row, for their backoff.

    Nothing leaves a request active with nothing scheduled: an unexpected exception
    is retried with backoff and, on the MAX_STEP_ATTEMPTS-th attempt, fails the request
    in plain words; a step whose worker stopped is taken up again by the stalled sweep,
    and fails the request on the attempt after that."""
    current_source.set("worker")
    if not claim(request_id):
        return  # finished, or another worker has it and will schedule what comes next
    next_in, attempt_next, step_finished = None, 0, True
    try:
        next_in, attempt_next = run_step(request_id, attempt)
    except Exception as error:
        step_finished = False
        next_in = retry_or_fail_after(request_id, error)
    finally:
        release(request_id, next_in, step_finished=step_finished)
    if next_in is not None:
        advance_certificate_request.apply_async((request_id, attempt_next), countdown=next_in)


def run_step(request_id: int, attempt: int) -> tuple[float | None, int]:
    """One step of the claimed request: (seconds until the next, its `attempt`)."""
    request = CertificateRequest.objects.select_related("account", "certificate").get(pk=request_id)
    if request.interrupted_steps > MAX_STEP_ATTEMPTS:
        fail_request(request, stopped_worker_message(request))
        return None, 0
    retrying = request.error.startswith(RETRYING_NOTICE)
    client = None
    try:
        client = reused_acme_client_for(request.account)
        next_in = pipeline.advance(request, client)
    except pipeline.RequestFailed as failure:
        fail_request(request, str(failure), client)
    except (AcmeError, DnsProviderError, DnsLookupError, AgentError) as error:
        if isinstance(error, AcmeError):
            forget_reused_acme_clients()
        if error.permanent:
            fail_request(request, str(error), client)
        else:
            return retry_after_temporary(request, error, attempt + 1), attempt + 1
    else:
        if retrying:  # the step went through: the notice of the last failure is old news
            CertificateRequest.objects.filter(
                pk=request_id, error__startswith=RETRYING_NOTICE
            ).update(error="")
        if request.automatic and request.status == RequestStatus.AVAILABLE:
            renewal.save_automatic_renewal(request)  # spec N5: saved at once
        return next_in, 0
    return None, 0


def retry_after_temporary(
    request, error: AcmeError | DnsProviderError | DnsLookupError | AgentError, attempt: int
) -> float:
    retry_after = getattr(error, "retry_after", None)
    next_in = retry_after or backoff_seconds(attempt)
    logger.info("Request %s: %s; trying again in %.0f s", request.pk, error, next_in)
    request.error = f"{RETRYING_NOTICE}a temporary error: {error} (attempt {attempt})"
    request.save(update_fields=["error", "updated_at"])
    return next_in


def retry_or_fail_after(request_id: int, error: Exception) -> float | None:
    """After an unexpected exception: log it, and say on the request that it is
    retried, or fail it on the last attempt. Returns when to try again."""
    request = CertificateRequest.objects.select_related("account").get(pk=request_id)
    step, attempts = pipeline.step_description(request), request.interrupted_steps
    pipeline.log_unexpected_error(
        request,
        f"Request {request_id}: unexpected error while {step} "
        f"(attempt {attempts} of {MAX_STEP_ATTEMPTS})",
        error,
    )
    if request.status not in pipeline.ACTIVE_STATUSES:
        return None  # it ended before the error; nothing to retry
    what = unexpected_errors.describe(error, secrets=request.secret_values())
    if attempts >= MAX_STEP_ATTEMPTS:
        fail_request(
            request,
            f"Unexpected error while {step}: {what.rstrip('.')}. certlife tried {attempts} "
            "times; start a New challenge or report this.",
        )
        return None
    request.error = (
        f"{RETRYING_NOTICE}an unexpected error while {step}: {what} "
        f"(attempt {attempts} of {MAX_STEP_ATTEMPTS})"
    )
    request.save(update_fields=["error", "updated_at"])
    return backoff_seconds(attempts)


def stopped_worker_message(request: CertificateRequest) -> str:
    step = pipeline.step_description(request)
    return (
        f"The step {step} did not finish in {MAX_STEP_ATTEMPTS} attempts: the worker "
        "stopped or restarted each time. Start a New challenge or report this."
    )


@shared_task
def resume_stalled_requests() -> None:
    """Requests whose worker died mid-step (its message lost with it) go on again. Not
    forever: each restart is an attempt that claim() counts, and the attempt after
    MAX_STEP_ATTEMPTS unfinished ones fails the request (run_step)."""
    for request_id in stalled_requests().values_list("pk", flat=True):
        advance_certificate_request.delay(request_id)
    clean_up_left_records()


def stalled_requests():
    """Active requests nobody holds and no scheduled step will pick up."""
    now = timezone.now()
    stale = now - stalled_after()
    moves_on_its_own = (
        Q(status__in=[RequestStatus.VALIDATING, RequestStatus.ISSUING])
        | Q(status=RequestStatus.PENDING, verify_requested=True)
        | Q(status=RequestStatus.PENDING, order_url="")
    )
    idle = Q(moves_on_its_own, next_step_at__isnull=True, updated_at__lt=stale)
    return CertificateRequest.objects.filter(
        Q(status__in=pipeline.ACTIVE_STATUSES),
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        # A scheduled step well past its time was lost, whatever the request waits for.
        Q(next_step_at__lt=stale) | idle,
    )


def clean_up_left_records() -> None:
    """TXT records of finished requests whose cleanup failed or whose worker died."""
    finished = [RequestStatus.AVAILABLE, RequestStatus.FAILED, RequestStatus.SAVED]
    left = Challenge.objects.filter(
        presented=True, cleaned_up=False, request__status__in=finished
    ).values_list("request_id", flat=True)
    for request in CertificateRequest.objects.filter(pk__in=set(left)):
        pipeline.cleanup_challenges(request)


EMAIL_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def send_certificate_email(
    self, request_id: int, to: str, *, export_format: str, include_key: bool
) -> None:
    """Send what `actions.email_certificate` decided and audited: this format, with the
    private key only when `include_key`; nothing is decided again here. A mail server
    that cannot be reached is tried again with backoff; what finally fails is written
    to the audit log, not only the worker's."""
    try:
        deliver_certificate_email(
            request_id, to, export_format=export_format, include_key=include_key
        )
    except OSError as error:  # SMTP errors and refused connections alike
        if self.request.retries < EMAIL_RETRIES:
            countdown = backoff_seconds(self.request.retries + 2)
            raise self.retry(exc=error, countdown=countdown) from error
        record_email_failure(request_id, to, error)
    except Exception as error:
        record_email_failure(request_id, to, error)


def record_email_failure(request_id: int, to: str, error: Exception) -> None:
    request = CertificateRequest.objects.select_related("account").get(pk=request_id)
    pipeline.log_unexpected_error(request, f"Request {request_id}: email to {to} failed", error)
    record_audit_event(
        "certificate.email",
        actor=None,
        target=request,
        outcome=AuditOutcome.FAILURE,
        detail={
            "to": to,
            "error": unexpected_errors.describe(error, secrets=request.secret_values()),
        },
    )


def deliver_certificate_email(
    request_id: int, to: str, *, export_format: str, include_key: bool
) -> None:
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


@shared_task
def sweep_due_renewals() -> None:
    """Every minute (beat): start the automatic renewals that are due."""
    current_source.set("scheduler")
    renewal.run_renewal_sweep()


@shared_task
def refresh_due_renewal_infos() -> None:
    """Every minute (beat): ask the CA's renewalInfo (ARI) where it is due again."""
    current_source.set("scheduler")
    now = timezone.now()
    for certificate_id in renewal.renewal_info_due(now).values_list("pk", flat=True)[
        : renewal.SWEEP_BATCH
    ]:
        refresh_renewal_info.delay(certificate_id)


@shared_task(acks_late=True)
def refresh_renewal_info(certificate_id: int) -> None:
    """Ask ARI for one certificate and reschedule its renewal (network)."""
    current_source.set("scheduler")
    renewal.refresh_renewal_info(certificate_id)
