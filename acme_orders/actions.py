"""Every write on requests and certificates (docs/conventions.md): validate, save,
audit, and enqueue network work on commit. Views, the API and commands call these."""

from collections.abc import Callable
from typing import Any, NotRequired, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.choices import AccountStatus
from accounts.errors import AcmeError
from acme_orders import keys, renewal, revocation
from acme_orders.certificate_files import describe_certificate
from acme_orders.choices import (
    REVOCATION_REASON_CODES,
    CertificateStatus,
    ChallengeStatus,
    ChallengeType,
    ExportFormat,
    KeyPolicy,
    KeystoreType,
    RequestStatus,
    RevocationReason,
)
from acme_orders.exports import ExportFile, ExportProblem, build_export
from acme_orders.key_release import Release, check_release, record_release
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from acme_orders.names import InvalidDomainNames, normalize_domains
from acme_orders.pipeline import VALIDATION_DEADLINE
from acme_orders.profiles import account_profile_problem, name_limit
from acme_orders.repository import certificate_keystore_password
from acme_orders.request_settings import RequestSettings
from acme_orders.solvers import choose_solver, solver_for
from acme_orders.tasks import (
    advance_certificate_request,
    refresh_renewal_info,
    send_certificate_email,
)
from agents.deploy import schedule_deployments
from certlife.audit import record_audit_event
from certlife.choices import AuditOutcome

KEYSTORES_WITH_PASSWORD = (KeystoreType.PKCS12, KeystoreType.JKS)


def _enqueue_advance(request: CertificateRequest) -> None:
    transaction.on_commit(lambda: advance_certificate_request.delay(request.pk))


def _check_request_input(settings: RequestSettings) -> RequestSettings:
    """The settings with their names normalized, or ValidationError naming every bad
    field."""
    errors: dict[str, list[str]] = {}
    account = settings.account
    if account.status != AccountStatus.VALID:
        errors["account"] = [f"The ACME account {account} is deactivated; use another."]
    try:
        names = normalize_domains(
            list(settings.domains),
            challenge_type=settings.challenge_type,
            max_names=name_limit(settings.profile),
        )
    except InvalidDomainNames as error:
        errors["domains"], names = error.messages, []
    errors.update(_key_errors(settings))
    errors.update(_challenge_errors(settings))
    if errors:
        raise ValidationError(errors)
    # Last, and only for otherwise good input: it may read the CA's directory.
    if problem := account_profile_problem(account, settings.profile):
        raise ValidationError({"profile": [problem]})
    return settings.with_domains(names)


def _key_errors(settings: RequestSettings) -> dict[str, list[str]]:
    """The key menu (acme_orders.choices), the keystore password, the imported key."""
    errors: dict[str, list[str]] = {}
    algorithm, size = settings.key_algorithm, settings.key_size
    try:
        keys.check_key_choice(algorithm, size, settings.signature_algorithm)
    except keys.KeyProblem as error:
        errors["key_size"] = [str(error)]
    if settings.keystore_type in KEYSTORES_WITH_PASSWORD and not settings.keystore_password:
        errors["keystore_password"] = ["A keystore password is required for PKCS#12 and JKS."]
    imported_key_pem = settings.imported_key_pem
    if settings.key_policy != KeyPolicy.IMPORT:
        if imported_key_pem:
            errors["imported_key_pem"] = ["A key is imported only with the key policy 'import'."]
    elif not imported_key_pem:
        errors["imported_key_pem"] = ["Paste the private key to import (PEM)."]
    else:
        try:
            forbidden = [keys.public_key_der(settings.account.key_pem)]
            keys.load_imported_key(
                imported_key_pem, algorithm=algorithm, size=size, forbidden_public_keys=forbidden
            )
        except keys.KeyProblem as error:
            errors["imported_key_pem"] = [str(error)]
    return errors


def _challenge_errors(settings: RequestSettings) -> dict[str, list[str]]:
    """The DNS account and the built-in responder each go with one challenge type."""
    errors: dict[str, list[str]] = {}
    dns_account, challenge_type = settings.dns_account, settings.challenge_type
    if dns_account is not None:
        if challenge_type != ChallengeType.DNS_01:
            errors["dns_account"] = ["A DNS account is used with the DNS-01 challenge only."]
        elif not dns_account.enabled:
            errors["dns_account"] = [f"The DNS account {dns_account} is disabled."]
    if settings.use_builtin_http_responder and challenge_type != ChallengeType.HTTP_01:
        errors["use_builtin_http_responder"] = ["The built-in responder answers HTTP-01 only."]
    return errors


@transaction.atomic
def request_certificate(
    *, actor, settings: RequestSettings, certificate: Certificate | None = None
) -> CertificateRequest:
    """Create a request (docs/features.md R6: it appears in Pending requests) and start
    its order; `certificate` is the repository entry a renewal saves into."""
    settings = _check_request_input(settings)
    request = CertificateRequest.objects.create(
        **settings.model_fields(), certificate=certificate, created_by=actor
    )
    record_audit_event(
        "request.create",
        actor=actor,
        target=request,
        detail={
            "domains": request.domains,
            "challenge_type": settings.challenge_type,
            "key_policy": settings.key_policy,
        },
    )
    _enqueue_advance(request)
    return request


def _locked(request: CertificateRequest) -> CertificateRequest:
    return CertificateRequest.objects.select_for_update().get(pk=request.pk)


def _choose_solvers_again(request: CertificateRequest) -> bool:
    """Choose the solver of each challenge not yet published again (spec V7), so an
    agent mapping or DNS account added since the order was placed is used. True when
    a choice changed."""
    changed = False
    for challenge in request.challenges.filter(presented=False, status=ChallengeStatus.PENDING):
        before = (challenge.solver, challenge.agent_mapping_id)
        challenge.solver = choose_solver(request, challenge)
        if (challenge.solver, challenge.agent_mapping_id) != before:
            challenge.save(update_fields=["solver", "agent_mapping"])
            changed = True
    return changed


@transaction.atomic
def apply_agent_mappings(*, actor) -> list[CertificateRequest]:
    """After agent mappings changed (agents.signals.mappings_changed): pending requests
    whose unpublished names a mapping now answers use it, and a request whose every
    name now has an automated path starts validating on its own (spec V8). Only requests
    waiting for a person: one already validating is being driven by a worker, whose
    step must not see its solvers change under it. Returns the requests that changed."""
    pending_ids = (
        CertificateRequest.objects.filter(
            status=RequestStatus.PENDING,
            verify_requested=False,
            challenges__presented=False,
            challenges__status=ChallengeStatus.PENDING,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    changed = []
    for request in CertificateRequest.objects.select_for_update().filter(
        pk__in=list(pending_ids), status=RequestStatus.PENDING, verify_requested=False
    ):
        if not _choose_solvers_again(request):
            continue
        changed.append(request)
        record_audit_event("request.solvers_chosen", actor=actor, target=request)
        challenges = request.challenges.all()
        if all(solver_for(challenge).automated for challenge in challenges):
            _enqueue_advance(request)
    return changed


@transaction.atomic
def verify_request(request: CertificateRequest, *, actor) -> CertificateRequest:
    """Verify (spec V2): the answers are published; check them and ask the CA."""
    request = _locked(request)
    if request.status != RequestStatus.PENDING or not request.order_url:
        raise ValidationError(
            {
                "status": [
                    f"Only a pending request with challenges can be verified, not {request.status}."
                ]
            }
        )
    if not request.verify_requested:  # else a worker drives it with the solvers it has
        _choose_solvers_again(request)
    request.verify_requested = True
    request.deadline_at = timezone.now() + VALIDATION_DEADLINE
    request.error = ""
    request.save(update_fields=["verify_requested", "deadline_at", "error", "updated_at"])
    record_audit_event("request.verify", actor=actor, target=request)
    _enqueue_advance(request)
    return request


@transaction.atomic
def new_challenge(request: CertificateRequest, *, actor) -> CertificateRequest:
    """New challenge (spec P3): a fresh order and challenges for a failed request."""
    request = _locked(request)
    if request.status != RequestStatus.FAILED:
        raise ValidationError({"status": ["Only a failed request gets a new challenge."]})
    request.challenges.all().delete()
    request.status = RequestStatus.PENDING
    request.order_url = ""
    request.order_requested_at = None
    request.verify_requested = False
    request.deadline_at = None
    request.error = ""
    request.save(
        update_fields=[
            "status", "order_url", "order_requested_at", "verify_requested",
            "deadline_at", "error", "updated_at",
        ]
    )  # fmt: skip
    record_audit_event("request.new_challenge", actor=actor, target=request)
    _enqueue_advance(request)
    return request


@transaction.atomic
def assign_dns_account(request: CertificateRequest, *, dns_account, actor) -> CertificateRequest:
    """More >> Assign DNS (spec V8): the DNS account publishes the pending names, and
    validation starts on its own once every name has an automated path."""
    request = _locked(request)
    if request.status != RequestStatus.PENDING:
        raise ValidationError({"status": ["A DNS account is assigned to a pending request only."]})
    if request.challenge_type != ChallengeType.DNS_01:
        raise ValidationError({"dns_account": ["A DNS account is used with DNS-01 requests only."]})
    if not dns_account.enabled:
        raise ValidationError({"dns_account": [f"The DNS account {dns_account} is disabled."]})
    request.dns_account = dns_account
    request.error = ""
    request.save(update_fields=["dns_account", "error", "updated_at"])
    _choose_solvers_again(request)
    record_audit_event(
        "request.assign_dns", actor=actor, target=request, detail={"dns_account": str(dns_account)}
    )
    _enqueue_advance(request)
    return request


@transaction.atomic
def renew_certificate(certificate: Certificate, *, actor) -> CertificateRequest:
    """Renew (spec N1): a new request with the settings of the one that issued the
    certificate; its key policy decides the key. Saving it adds a version."""
    if certificate.status != CertificateStatus.ACTIVE:
        raise ValidationError({"status": ["A revoked certificate is not renewed."]})
    previous = certificate.requests.order_by("-created_at").first()
    if previous is None:
        raise ValidationError(
            {"certificate": ["certlife did not issue this certificate; request a new one."]}
        )
    settings = RequestSettings.from_request(previous).with_domains(certificate.domains)
    return request_certificate(actor=actor, settings=settings, certificate=certificate)


@transaction.atomic
def retry_renewal(certificate: Certificate, *, actor) -> Certificate:
    """Retry now (spec N3): the next automatic renewal attempt is due at once, whatever
    its backoff; the renewal sweep picks it up on its next run."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status != CertificateStatus.ACTIVE:
        raise ValidationError({"status": ["A revoked certificate is not renewed."]})
    now = timezone.now()
    certificate.renewal_due_at = now
    certificate.renewal_next_attempt_at = now
    certificate.renewal_claimed_until = None
    certificate.save(
        update_fields=[
            "renewal_due_at",
            "renewal_next_attempt_at",
            "renewal_claimed_until",
            "updated_at",
        ]
    )
    record_audit_event("certificate.retry_renewal", actor=actor, target=certificate)
    return certificate


@transaction.atomic
def set_auto_renew(certificate: Certificate, *, enabled: bool, actor) -> Certificate:
    """The per-certificate switch of automatic renewal (spec N5), on by default."""
    certificate.auto_renew = enabled
    certificate.save(update_fields=["auto_renew", "updated_at"])
    record_audit_event(
        "certificate.auto_renew", actor=actor, target=certificate, detail={"enabled": enabled}
    )
    return certificate


def revoke_certificate(certificate: Certificate, *, reason: str, actor) -> Certificate:
    """Revoke the current version at the CA with an RFC 5280 reason (spec X1), then mark
    the certificate revoked: it is never renewed or deployed again. Audited on success
    and on failure.

    The CA is asked inside this call, as the account actions do (accounts/actions.py
    says why): the person revoking needs the CA's answer at once, and the API answers
    200 or 400, never "pending". The call uses the interactive retry policy, so a slow
    CA cannot hold the caller long; acme_orders.revocation picks who signs."""
    detail: dict[str, str] = {"reason": str(reason)}
    try:
        version = _revocable_version(certificate, reason)
        detail["serial"] = version.serial_number
        try:
            detail["signed_with"] = revocation.revoke_at_ca(
                certificate, version, reason_code=REVOCATION_REASON_CODES[reason]
            )
        except AcmeError as error:
            raise ValidationError({"non_field_errors": [error.message]}) from None
    except ValidationError as error:
        failure = {**detail, "error": " ".join(error.messages)}
        record_audit_event(
            "certificate.revoke",
            actor=actor,
            target=certificate,
            outcome=AuditOutcome.FAILURE,
            detail=failure,
        )
        raise
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        certificate.status = CertificateStatus.REVOKED
        certificate.revoked_at = timezone.now()
        certificate.revocation_reason = reason
        # Nothing is due any more: the renewal sweep only looks at active certificates.
        certificate.renewal_due_at = None
        certificate.renewal_next_attempt_at = None
        certificate.save(
            update_fields=[
                "status", "revoked_at", "revocation_reason", "renewal_due_at",
                "renewal_next_attempt_at", "updated_at",
            ]
        )  # fmt: skip
        record_audit_event("certificate.revoke", actor=actor, target=certificate, detail=detail)
    return certificate


def _revocable_version(certificate: Certificate, reason: str) -> CertificateVersion:
    """The version to revoke, or ValidationError naming the reason or the status."""
    if reason not in REVOCATION_REASON_CODES:
        choices = ", ".join(RevocationReason.values)
        raise ValidationError({"reason": [f"Choose a reason: one of {choices}."]})
    if certificate.status != CertificateStatus.ACTIVE:
        raise ValidationError({"status": ["This certificate is already revoked."]})
    if certificate.current_version is None:
        raise ValidationError({"certificate": ["This certificate has no issued version."]})
    return certificate.current_version


@transaction.atomic
def delete_certificate(certificate: Certificate, *, actor) -> None:
    """Delete from certlife only (spec X2); the certificate stays valid at the CA."""
    record_audit_event(
        "certificate.delete",
        actor=actor,
        target=certificate,
        detail={"domains": certificate.domains},
    )
    certificate.delete()


@transaction.atomic
def save_to_repository(request: CertificateRequest, *, actor) -> Certificate:
    """Save an available certificate (spec P2): a new version of its repository entry."""
    request = _locked(request)
    if request.status != RequestStatus.AVAILABLE:
        raise ValidationError(
            {"status": [f"Only an available certificate can be saved; it is {request.status}."]}
        )
    if request.certificate is not None and request.certificate.status != CertificateStatus.ACTIVE:
        raise ValidationError({"status": ["The certificate was revoked: a renewal is not saved."]})
    facts = describe_certificate(request.certificate_pem)
    certificate = request.certificate or Certificate(common_name=facts.common_name)
    certificate.domains = request.domains
    certificate.status = CertificateStatus.ACTIVE
    certificate.save()
    person = actor if actor is not None and actor.is_authenticated else None
    version = CertificateVersion.from_pem(
        certificate=certificate,
        certificate_pem=request.certificate_pem,
        chain_pem=request.chain_pem,
        private_key_pem=request.private_key_pem,
        created_by=person,
        created_by_name=person.get_username() if person else "scheduler",
    )
    version.save()
    certificate.current_version = version
    certificate.save(update_fields=["current_version", "updated_at"])
    request.certificate = certificate
    request.status = RequestStatus.SAVED
    request.save(update_fields=["certificate", "status", "updated_at"])
    renewal.note_saved_version(certificate, version, request)
    transaction.on_commit(lambda: refresh_renewal_info.delay(certificate.pk))
    record_audit_event(
        "certificate.save",
        actor=actor,
        target=certificate,
        detail={"serial": version.serial_number},
    )
    # Where a mapping says "Deploy certificate", the new version goes to its end
    # servers (spec V6, V11), after a manual save and after an automatic renewal alike.
    schedule_deployments(version, actor=actor)
    return certificate


def export_certificate_files(
    *, actor, name: str, certificate_pem: str, chain_pem: str, private_key_pem: str,
    export_format: str, include_key: bool, password: str, target, recipient: str = "",
) -> ExportFile:  # fmt: skip
    """A file of an issued certificate (spec P2); the key only on explicit choice, for
    users allowed to export keys. Audited, key or not, naming who receives the file
    (`recipient`, by default the person downloading it)."""
    release = Release(
        action="certificate.export",
        actor=actor,
        target=target,
        recipient=recipient or _downloader(actor),
        include_key=include_key,
        file_format=export_format,
    )
    check_release(release)
    try:
        exported = build_export(
            export_format,
            name=name,
            certificate_pem=certificate_pem,
            chain_pem=chain_pem,
            private_key_pem=private_key_pem if include_key else None,
            password=password,
        )
    except ExportProblem as error:
        raise ValidationError({"format": [str(error)]}) from None
    record_release(release)
    return exported


def _downloader(actor) -> str:
    """Who receives a download: the signed-in person, or whoever runs the command line."""
    return actor.get_username() if actor is not None else "command line"


class ExportChoices(TypedDict):
    """What the person exporting chose (spec P2). An empty `password` means the
    keystore password given with the request; `recipient` defaults to the downloader."""

    actor: Any
    export_format: str
    include_key: bool
    password: str
    recipient: NotRequired[str]


def request_export_file(
    request: CertificateRequest, **choices: Unpack[ExportChoices]
) -> ExportFile:
    """Export from Available (spec P2), before or after saving."""
    if request.status not in (RequestStatus.AVAILABLE, RequestStatus.SAVED):
        raise ValidationError({"status": ["Only an issued certificate can be exported."]})
    return _export_issued_files(request, request, lambda: request.keystore_password, choices)


def certificate_export_file(
    certificate: Certificate,
    *,
    version: CertificateVersion | None = None,
    **choices: Unpack[ExportChoices],
) -> ExportFile:
    """Export a repository certificate's current version, or any earlier `version` of it
    (spec P2, N2); a keystore uses `password`, else the keystore password of the request
    that saved it."""
    if version is None:
        version = certificate.current_version
    elif version.certificate_id != certificate.pk:
        raise ValidationError({"version": ["This version belongs to another certificate."]})
    if version is None:
        raise ValidationError({"certificate": ["This certificate has no issued version yet."]})
    return _export_issued_files(
        certificate, version, lambda: certificate_keystore_password(certificate), choices
    )


def _export_issued_files(
    target: CertificateRequest | Certificate,
    issued: CertificateRequest | CertificateVersion,
    saved_password: Callable[[], str],
    choices: ExportChoices,
) -> ExportFile:
    """Export the issued files `issued` holds (a request, or a certificate's version)
    under `target`'s name; a keystore without a chosen password gets `saved_password()`."""
    return export_certificate_files(
        actor=choices["actor"],
        name=target.common_name,
        certificate_pem=issued.certificate_pem,
        chain_pem=issued.chain_pem,
        private_key_pem=issued.private_key_pem,
        export_format=choices["export_format"],
        include_key=choices["include_key"],
        password=choices["password"] or saved_password(),
        target=target,
        recipient=choices.get("recipient", ""),
    )


KEYSTORE_EXPORT_FORMATS: dict[str, str] = {
    KeystoreType.PEM: ExportFormat.PEM_BUNDLE,
    KeystoreType.PKCS12: ExportFormat.PKCS12,
    KeystoreType.JKS: ExportFormat.JKS,
}


def _email_format(request: CertificateRequest, *, include_key: bool) -> str:
    """With the key: the request's keystore type (PKCS#12 and JKS protected by the
    keystore password). Without it: certificate and chain as a PEM bundle, which needs
    no password to open."""
    if not include_key:
        return ExportFormat.PEM_BUNDLE
    return KEYSTORE_EXPORT_FORMATS[request.keystore_type]


def email_certificate(request: CertificateRequest, *, actor, to: str, include_key: bool) -> str:
    """Email the certificate (spec P2), with its private key only on explicit choice and
    for users allowed to export keys (the same check as every export). The keystore
    password is never in the mail. Returns the file format sent."""
    if request.status not in (RequestStatus.AVAILABLE, RequestStatus.SAVED):
        raise ValidationError({"status": ["Only an issued certificate can be emailed."]})
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": [f"{to!r} is not an email address."]}) from None
    export_format = _email_format(request, include_key=include_key)
    release = Release(
        action="certificate.email",
        actor=actor,
        target=request,
        recipient=to,
        include_key=include_key,
        file_format=export_format,
    )
    # Outside the transaction: a refusal is audited even though it raises.
    check_release(release)
    with transaction.atomic():
        record_release(release)
        transaction.on_commit(
            lambda: send_certificate_email.delay(
                request.pk, to, export_format=export_format, include_key=include_key
            )
        )
    return export_format
