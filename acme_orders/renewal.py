"""Automatic renewal (spec N3, N5, N6; docs/architecture.md, "Renewal").

Each certificate in the repository carries when its renewal is due
(`Certificate.renewal_due_at`, indexed), computed when a version is saved and again
whenever the CA's renewalInfo (ARI, RFC 9773) is asked:

- inside the CA's ARI window, at a uniformly random moment, where the directory offers
  renewalInfo (source "ari");
- else at two thirds of the lifetime, one half under 10 days (source "lifetime"), or
  CERTLIFE_RENEW_AFTER_DAYS after notBefore / CERTLIFE_RENEW_AT_FRACTION of the lifetime
  (source "setting");
- never later than `latest_safe_moment`, so a short certificate does not expire first.

The sweep (`run_renewal_sweep`, every minute) selects the due rows with one indexed
query, claims each with a conditional UPDATE (two schedulers never renew one twice)
and starts an automatic request through the ordinary pipeline; the pipeline saves the
new version at once when it is issued, which schedules the next renewal. A failed
attempt pushes `renewal_due_at` out by the backoff (1 min, 10 min, 100 min, then
daily; Let's Encrypt's integration guide), kept in the database.
"""

import hashlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.acme import gateway
from accounts.acme_client import acme_client_for
from accounts.errors import AcmeError
from acme_orders.choices import (
    CertificateStatus,
    ChallengeType,
    RenewalSource,
    RequestStatus,
)
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from acme_orders.pipeline import ACTIVE_STATUSES
from acme_orders.request_settings import RequestSettings
from acme_orders.signals import automatic_renewal_failed
from agents import mappings
from certlife import unexpected_errors

logger = logging.getLogger(__name__)

SHORT_LIFETIME = timedelta(days=10)
LIFETIME_FRACTION = 2 / 3
SHORT_LIFETIME_FRACTION = 1 / 2
# Let's Encrypt: ask ARI at least twice a day; honour Retry-After within 1 min .. 1 day.
ARI_CHECK_AT_LEAST_EVERY = timedelta(hours=12)
ARI_RETRY_AFTER_MIN = timedelta(minutes=1)
ARI_RETRY_AFTER_MAX = timedelta(days=1)
# No usable answer (no Retry-After, end <= start, bad JSON, an error): ask again then.
ARI_ASK_AGAIN_AFTER_NO_ANSWER = timedelta(hours=6)
ARI_ASK_AGAIN_AFTER_TEMPORARY_ERROR = timedelta(hours=1)
# Backoff of failed automatic attempts, per certificate; after the list, daily.
RENEWAL_BACKOFF = (timedelta(minutes=1), timedelta(minutes=10), timedelta(minutes=100))
RENEWAL_BACKOFF_AFTER = timedelta(days=1)
# How long a sweep holds a certificate whose renewal request runs; the request
# finishing (saved or failed) releases it sooner.
RENEWAL_CLAIM = timedelta(hours=1)
# A due certificate with no automated path is looked at again after this long.
BLOCKED_RECHECK = timedelta(hours=1)
SWEEP_BATCH = 100
SCHEDULER = "scheduler"


# --- When: the schedule --------------------------------------------------------


def latest_safe_moment(not_before: datetime, not_after: datetime) -> datetime:
    """The latest moment a renewal may be scheduled: half the lifetime for one under
    10 days, else a tenth of the lifetime (at least a day) before it ends. A CA's window
    or a setting reaching past it is cut there."""
    lifetime = not_after - not_before
    if lifetime < SHORT_LIFETIME:
        return not_before + lifetime * SHORT_LIFETIME_FRACTION
    return not_after - max(lifetime / 10, timedelta(days=1))


def fallback_moment(not_before: datetime, not_after: datetime) -> tuple[datetime, str]:
    """(due, source) without ARI: the setting when there is one, else the lifetime rule;
    both bounded by latest_safe_moment. A little jitter spreads many certificates issued
    together (spec N3)."""
    lifetime = not_after - not_before
    latest = latest_safe_moment(not_before, not_after)
    jitter = lifetime / 100 * random.random()  # noqa: S311 (spreading, not a secret)
    days = settings.CERTLIFE_RENEW_AFTER_DAYS
    fraction = settings.CERTLIFE_RENEW_AT_FRACTION
    if days:
        wanted = not_before + timedelta(days=days)
        if wanted <= latest:
            return wanted, RenewalSource.SETTING
    elif fraction:
        wanted = not_before + lifetime * fraction
        if wanted <= latest:
            return wanted - jitter, RenewalSource.SETTING
    rule = SHORT_LIFETIME_FRACTION if lifetime < SHORT_LIFETIME else LIFETIME_FRACTION
    return min(not_before + lifetime * rule, latest) - jitter, RenewalSource.LIFETIME


def moment_in_window(
    start: datetime, end: datetime, not_before: datetime, not_after: datetime
) -> datetime:
    """A uniformly random moment in the CA's window (RFC 9773 section 4.2), its end cut
    at latest_safe_moment; a window that starts after that point gives that point."""
    latest = latest_safe_moment(not_before, not_after)
    end = min(end, latest)
    if end <= start:
        return latest if start > latest else start
    return start + (end - start) * random.random()  # noqa: S311


def clamp_retry_after(seconds: float | None) -> timedelta:
    """When to ask ARI again: the CA's Retry-After within 1 min .. 1 day, and at least
    twice a day; 6 h without one (docs/acme-notes: treat as no answer)."""
    if seconds is None:
        return ARI_ASK_AGAIN_AFTER_NO_ANSWER
    wait = min(max(timedelta(seconds=seconds), ARI_RETRY_AFTER_MIN), ARI_RETRY_AFTER_MAX)
    return min(wait, ARI_CHECK_AT_LEAST_EVERY)


def backoff_after(failures: int) -> timedelta:
    """The wait after the `failures`-th failed attempt in a row (1, 2, ...)."""
    if failures <= len(RENEWAL_BACKOFF):
        return RENEWAL_BACKOFF[max(failures, 1) - 1]
    return RENEWAL_BACKOFF_AFTER


SCHEDULE_FIELDS = [
    "renewal_due_at",
    "renewal_source",
    "renewal_window_start",
    "renewal_window_end",
    "renewal_explanation_url",
    "ari_checked_at",
    "ari_next_check_at",
    "renewal_blocker",
]


def _set_due(certificate: Certificate, scheduled: datetime) -> None:
    """The schedule's moment, unless a failed attempt's backoff says later."""
    if certificate.renewal_failures and certificate.renewal_next_attempt_at:
        scheduled = max(scheduled, certificate.renewal_next_attempt_at)
    certificate.renewal_due_at = scheduled


def schedule_from_lifetime(certificate: Certificate, version: CertificateVersion) -> None:
    """The fallback schedule (no ARI answer), on the unsaved certificate."""
    due, source = fallback_moment(version.not_before, version.not_after)
    _set_due(certificate, due)
    certificate.renewal_source = source
    certificate.renewal_window_start = None
    certificate.renewal_window_end = None
    certificate.renewal_explanation_url = ""


def apply_renewal_info(
    certificate: Certificate,
    version: CertificateVersion,
    info: gateway.RenewalInfo | None,
    now: datetime,
) -> None:
    """Schedule from the CA's answer (None: no usable answer, the fallback rule). The
    moment already chosen is kept while the window stays the same, so asking again
    does not draw again; a past window gives a past moment: due now, renewed once (the
    claim, then the new version's own schedule, keep it from repeating)."""
    certificate.ari_checked_at = now
    if info is None or info.window_end <= info.window_start:
        schedule_from_lifetime(certificate, version)
        certificate.ari_next_check_at = now + ARI_ASK_AGAIN_AFTER_NO_ANSWER
    else:
        same_window = (
            certificate.renewal_source == RenewalSource.ARI
            and certificate.renewal_window_start == info.window_start
            and certificate.renewal_window_end == info.window_end
            and certificate.renewal_due_at is not None
            and not certificate.renewal_failures
        )
        if not same_window:
            _set_due(
                certificate,
                moment_in_window(
                    info.window_start, info.window_end, version.not_before, version.not_after
                ),
            )
        certificate.renewal_source = RenewalSource.ARI
        certificate.renewal_window_start = info.window_start
        certificate.renewal_window_end = info.window_end
        certificate.renewal_explanation_url = info.explanation_url[:500]
        certificate.ari_next_check_at = now + clamp_retry_after(info.retry_after_seconds)
    if version.not_after <= now:
        certificate.ari_next_check_at = None  # expired: nothing more to ask


# --- Where a version comes from --------------------------------------------------


def public_key_fingerprint(certificate_pem: str) -> str:
    """SHA-256 of the certificate's SubjectPublicKeyInfo, as colon-separated hex."""
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    der = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def note_saved_version(
    certificate: Certificate, version: CertificateVersion, request: CertificateRequest
) -> None:
    """A version was just saved to the repository (by a person or the scheduler): record
    where it comes from and schedule its renewal from its lifetime, with ARI asked at
    once (the caller enqueues `tasks.refresh_renewal_info` on commit). A successful
    renewal ends the backoff."""
    version.account = request.account
    version.directory_url = request.account.directory_url
    version.key_fingerprint = public_key_fingerprint(version.certificate_pem)
    version.save(update_fields=["account", "directory_url", "key_fingerprint"])
    now = timezone.now()
    certificate.renewal_failures = 0
    certificate.renewal_next_attempt_at = None
    certificate.renewal_last_error = ""
    certificate.renewal_claimed_until = None
    schedule_from_lifetime(certificate, version)
    certificate.ari_checked_at = None
    certificate.ari_next_check_at = now
    certificate.renewal_blocker = automated_path_problem(certificate)
    certificate.save(
        update_fields=[
            *SCHEDULE_FIELDS,
            "renewal_failures",
            "renewal_next_attempt_at",
            "renewal_last_error",
            "renewal_claimed_until",
            "updated_at",
        ]
    )


# --- Whether it can renew with nobody acting --------------------------------------


def latest_request(certificate: Certificate) -> CertificateRequest | None:
    return (
        certificate.requests.select_related("account", "dns_account")
        .order_by("-created_at", "-id")
        .first()
    )


def name_has_automated_path(name: str, request: CertificateRequest) -> bool:
    """Whether `name` can be validated with nobody acting, with the settings of
    `request`: a ready agent mapping (spec V7), else a DNS account for DNS-01 or the
    built-in responder for HTTP-01."""
    if mappings.has_automated_path(name, request.challenge_type):
        return True
    if request.challenge_type == ChallengeType.DNS_01:
        return request.dns_account is not None and request.dns_account.enabled
    return request.use_builtin_http_responder


def automated_path_problem(certificate: Certificate) -> str:
    """Why the certificate cannot renew with nobody acting ("" when it can)."""
    request = latest_request(certificate)
    if request is None:
        return "certlife did not issue this certificate, so it has no settings to renew with."
    missing = [name for name in certificate.domains if not name_has_automated_path(name, request)]
    if not missing:
        return ""
    if request.challenge_type == ChallengeType.DNS_01:
        how = "an enabled DNS account for DNS-01"
    else:
        how = "the built-in HTTP-01 responder"
    return f"No automated path for {', '.join(missing)}: renewing needs {how} (or an agent)."


# --- ARI refresh ----------------------------------------------------------------------


def renewal_info_due(now: datetime) -> QuerySet[Certificate]:
    """Certificates whose ARI is due to be asked again (one indexed query)."""
    return Certificate.objects.filter(
        ari_next_check_at__lte=now,
        status=CertificateStatus.ACTIVE,
        current_version__isnull=False,
    )


def refresh_renewal_info(certificate_id: int, now: datetime | None = None) -> None:
    """Ask the CA's renewalInfo for the current version and reschedule (network)."""
    now = now or timezone.now()
    certificate = (
        Certificate.objects.select_related("current_version__account")
        .filter(pk=certificate_id, status=CertificateStatus.ACTIVE)
        .first()
    )
    if certificate is None or certificate.current_version is None:
        return
    version = certificate.current_version
    info: gateway.RenewalInfo | None = None
    if version.account is not None and version.not_after > now:
        try:
            info = gateway.renewal_info(acme_client_for(version.account), version.certificate_pem)
        except AcmeError as error:
            if not error.permanent:
                logger.info("renewalInfo of %s not read, asking later: %s", certificate, error)
                wait = clamp_retry_after(error.retry_after or 0)
                Certificate.objects.filter(pk=certificate.pk).update(
                    ari_next_check_at=now + max(wait, ARI_ASK_AGAIN_AFTER_TEMPORARY_ERROR)
                )
                return
            logger.info("renewalInfo of %s unusable, lifetime rule: %s", certificate, error)
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if certificate.current_version_id != version.pk:
            return  # renewed meanwhile: the new version has its own schedule
        apply_renewal_info(certificate, version, info, now)
        certificate.save(update_fields=[*SCHEDULE_FIELDS, "updated_at"])


# --- The sweep --------------------------------------------------------------------------


def due_for_renewal(now: datetime) -> QuerySet[Certificate]:
    """Certificates whose automatic renewal is due and not held by a sweep (one indexed
    query on renewal_due_at). Revoked and switched-off certificates never are."""
    return Certificate.objects.filter(
        Q(renewal_claimed_until__isnull=True) | Q(renewal_claimed_until__lt=now),
        auto_renew=True,
        status=CertificateStatus.ACTIVE,
        renewal_due_at__lte=now,
    )


def claim_for_renewal(certificate_id: int, now: datetime) -> bool:
    """Take the certificate for this sweep; False when another sweep has it."""
    claimed = (
        due_for_renewal(now)
        .filter(pk=certificate_id)
        .update(renewal_claimed_until=now + RENEWAL_CLAIM)
    )
    return claimed == 1


@dataclass
class SweepResult:
    started: list[int]
    skipped: dict[int, str]


def run_renewal_sweep(now: datetime | None = None) -> SweepResult:
    """Start an automatic renewal for every due, automatable certificate (a batch per
    run), and save automatic renewals issued but not yet saved (a worker that stopped
    between the two)."""
    now = now or timezone.now()
    save_issued_automatic_renewals()
    result = SweepResult(started=[], skipped={})
    due_ids = list(
        due_for_renewal(now).order_by("renewal_due_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for certificate_id in due_ids:
        if not claim_for_renewal(certificate_id, now):
            continue
        try:
            problem = renew_claimed_certificate(certificate_id, now)
        except Exception as error:  # one certificate's bug must not stop the others
            logger.error(
                "Certificate %s: unexpected error starting its renewal:\n%s",
                certificate_id,
                unexpected_errors.redacted_traceback(error, secrets=[]),
            )
            problem = f"Unexpected error starting the renewal: {type(error).__name__}."
            record_renewal_failure(certificate_id, problem, now, in_sweep=True)
        if problem:
            result.skipped[certificate_id] = problem
        else:
            result.started.append(certificate_id)
    return result


def renew_claimed_certificate(certificate_id: int, now: datetime) -> str:
    """Start the renewal of a claimed certificate; "" when started, else why not (the
    reason is recorded on the certificate)."""
    certificate = Certificate.objects.select_related("current_version__account").get(
        pk=certificate_id
    )
    if CertificateRequest.objects.filter(
        certificate=certificate, automatic=True, status__in=ACTIVE_STATUSES
    ).exists():
        return "A renewal is already running."  # keeps the claim: it is renewing
    previous = latest_request(certificate)
    blocker = automated_path_problem(certificate)
    if blocker or previous is None:
        Certificate.objects.filter(pk=certificate_id).update(
            renewal_blocker=blocker,
            renewal_due_at=now + BLOCKED_RECHECK,
            renewal_claimed_until=None,
        )
        return blocker
    version = certificate.current_version
    if (
        version is not None
        and version.directory_url
        and (version.directory_url != previous.account.directory_url)
    ):
        problem = (
            f"The certificate was issued by {version.directory_url}, but its renewal would "
            f"use the account {previous.account} at {previous.account.directory_url}: a "
            "renewal uses the directory of the version it replaces (a staging or test "
            "certificate never replaces a production one)."
        )
        record_renewal_failure(certificate_id, problem, now, in_sweep=True)
        return problem
    try:
        start_automatic_renewal(certificate, previous, now)
    except ValidationError as error:
        problem = "Cannot start the renewal: " + " ".join(
            message for messages in error.message_dict.values() for message in messages
        )
        record_renewal_failure(certificate_id, problem, now, in_sweep=True)
        return problem
    return ""


def replaces_for(version: CertificateVersion | None, request: CertificateRequest) -> str:
    """The ARI CertID the new order replaces: only for a version issued to the same
    account (RFC 9773 section 5)."""
    if version is None or version.account_id != request.account_id:
        return ""
    certificate = x509.load_pem_x509_certificate(version.certificate_pem.encode())
    try:
        return gateway.renewal_cert_id(certificate)
    except (ValueError, x509.ExtensionNotFound):
        return ""


def start_automatic_renewal(
    certificate: Certificate, previous: CertificateRequest, now: datetime
) -> CertificateRequest:
    """A request with the settings of the latest one (same names, key policy), marked
    automatic so the pipeline saves it at once, carrying `replaces`."""
    from acme_orders.actions import request_certificate  # actions imports this module

    settings_ = RequestSettings.from_request(previous).with_domains(certificate.domains)
    with transaction.atomic():
        request = request_certificate(actor=None, settings=settings_, certificate=certificate)
        request.automatic = True
        request.replaces = replaces_for(certificate.current_version, request)
        request.save(update_fields=["automatic", "replaces", "updated_at"])
        Certificate.objects.filter(pk=certificate.pk).update(
            renewal_last_attempt_at=now, renewal_blocker=""
        )
    return request


def record_renewal_failure(
    certificate_id: int, error: str, now: datetime | None = None, *, in_sweep: bool = False
) -> None:
    """An automatic attempt failed: back off (1 min, 10 min, 100 min, then daily) from
    `now`, release the claim, keep the error, and tell the alerts at once. `in_sweep`:
    it failed before any request was made, so the attempt is now."""
    now = now or timezone.now()
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        certificate.renewal_failures += 1
        if in_sweep or certificate.renewal_last_attempt_at is None:
            certificate.renewal_last_attempt_at = now
        certificate.renewal_next_attempt_at = now + backoff_after(certificate.renewal_failures)
        certificate.renewal_due_at = certificate.renewal_next_attempt_at
        certificate.renewal_last_error = error
        certificate.renewal_claimed_until = None
        certificate.save(
            update_fields=[
                "renewal_failures",
                "renewal_last_attempt_at",
                "renewal_next_attempt_at",
                "renewal_due_at",
                "renewal_last_error",
                "renewal_claimed_until",
                "updated_at",
            ]
        )
    # Robust: a receiver's bug (an alert that cannot go out) must not stop the backoff.
    answers = automatic_renewal_failed.send_robust(
        sender=Certificate, certificate=certificate, error=error
    )
    for receiver, answer in answers:
        if isinstance(answer, Exception):
            logger.error(
                "Certificate %s: %s failed on the renewal failure:\n%s",
                certificate_id,
                getattr(receiver, "__qualname__", receiver),
                unexpected_errors.redacted_traceback(answer),
            )


def automatic_request_failed(request: CertificateRequest) -> None:
    """The pipeline failed an automatic renewal request."""
    if request.automatic and request.certificate_id:
        record_renewal_failure(request.certificate_id, request.error)


def save_automatic_renewal(request: CertificateRequest) -> None:
    """An automatic renewal is issued: save it as the new version at once (spec N5)."""
    from acme_orders.actions import save_to_repository  # actions imports this module

    try:
        save_to_repository(request, actor=None)
    except ValidationError:
        return  # saved already (a second call): nothing to do


def save_issued_automatic_renewals() -> None:
    issued = CertificateRequest.objects.filter(
        status=RequestStatus.AVAILABLE, automatic=True, certificate__isnull=False
    )
    for request in issued:
        try:
            save_automatic_renewal(request)
        except Exception as error:  # one bad row must not stop every sweep
            logger.error(
                "Request %s: the issued renewal could not be saved:\n%s",
                request.pk,
                unexpected_errors.redacted_traceback(error, secrets=request.secret_values()),
            )
