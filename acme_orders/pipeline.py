"""The order state machine (docs/architecture.md, "The flow of one certificate"), one step per call.

`advance(request, client)` runs the step for the request's status and returns how
many seconds until the next step is due, or None when the request waits for a person
(or is finished). Each step stores what a resumed run needs before the network call
that needs it, so a worker killed anywhere resumes without a second order and without
losing the key.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.acme import gateway
from accounts.errors import AcmeError, CaProblemError, describe_problem
from acme_orders import caa, keys
from acme_orders.choices import ChallengeStatus, KeyPolicy, RequestStatus, Solver
from acme_orders.exports import split_pem_certificates
from acme_orders.models import CertificateRequest, Challenge
from acme_orders.solvers import PropagationGaveUp, choose_solver, solver_for
from agents.errors import AgentError
from certlife import unexpected_errors
from dns_providers.errors import DnsProviderError

logger = logging.getLogger(__name__)

VALIDATION_DEADLINE = timedelta(minutes=30)
ACTIVE_STATUSES = (RequestStatus.PENDING, RequestStatus.VALIDATING, RequestStatus.ISSUING)
OPEN_CHALLENGE_STATUSES = (ChallengeStatus.PENDING, ChallengeStatus.PROCESSING)


class RequestFailed(Exception):
    """Ends the request as failed with this message (already in plain words)."""


# Polling the CA (docs/acme-notes.md): its Retry-After when it sends one; otherwise
# soon after the action that started the wait, then less often, at half the time waited
# so far (a CA that answers in milliseconds is seen at once, a slow one is asked about
# a dozen times a minute at most).
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 10.0
# Steps that follow at once (0 s) run in the same task, without a trip through the
# broker; at most this many, however a step answers.
MAX_STEPS_PER_RUN = 4


def advance(request: CertificateRequest, client) -> float | None:
    """Run the request's next step, and the ones after it that are due at once."""
    next_in = _step(request, client)
    for _ in range(MAX_STEPS_PER_RUN - 1):
        if next_in != 0 or request.status not in ACTIVE_STATUSES:
            break
        next_in = _step(request, client)
    return next_in


def poll_delay(request: CertificateRequest, client, response) -> float:
    """Seconds until the CA is asked again about an authorization or order. The
    request row is not saved while it waits for the CA, so `updated_at` is when the
    wait began."""
    if "Retry-After" in response.headers:
        return gateway.poll_delay(client, response)
    waited = (timezone.now() - request.updated_at).total_seconds()
    return min(max(waited / 2, FIRST_POLL_SECONDS), MAX_POLL_SECONDS)


def _step(request: CertificateRequest, client) -> float | None:
    if request.deadline_at and timezone.now() > request.deadline_at:
        raise RequestFailed(
            f"Gave up: the certificate was not issued within {VALIDATION_DEADLINE} "
            "of asking for validation."
        )
    steps: dict[str, Callable[[CertificateRequest, Any], float | None]] = {
        RequestStatus.PENDING: _pending,
        RequestStatus.VALIDATING: _validating,
        RequestStatus.ISSUING: _issuing,
    }
    step = steps.get(request.status)
    return step(request, client) if step else None


def step_description(request: CertificateRequest) -> str:
    """What the request's next step does, in words: "Unexpected error while ..."."""
    if request.status == RequestStatus.PENDING:
        return "publishing the challenges" if request.order_url else "placing the order"
    if request.status == RequestStatus.VALIDATING:
        return "waiting for the CA to validate"
    if request.status == RequestStatus.ISSUING:
        return "issuing the certificate"
    return "finishing the request"


def _save(request: CertificateRequest, *fields: str) -> None:
    request.save(update_fields=[*fields, "updated_at"])


def _pending(request: CertificateRequest, client) -> float | None:
    if not request.order_url:
        _place_order(request, client)
    challenges = list(request.challenges.all())
    if all(c.status == ChallengeStatus.VALID for c in challenges):
        return _move_to(request, RequestStatus.ISSUING)
    if not request.verify_requested:
        if not all(solver_for(c).automated for c in challenges):
            return None  # waits for Verify (docs/features.md V2)
        request.verify_requested = True
        request.deadline_at = timezone.now() + VALIDATION_DEADLINE
        _save(request, "verify_requested", "deadline_at")
    return _present_check_and_answer(request, client, challenges)


def _private_key_for(request: CertificateRequest) -> str:
    """The key for a new order, following the key policy (docs/features.md R5)."""
    if request.key_policy == KeyPolicy.IMPORT:
        return request.imported_key_pem
    previous = request.certificate and request.certificate.current_version
    if request.key_policy == KeyPolicy.SAME and previous:
        return previous.private_key_pem
    return keys.generate_private_key_pem(request.key_algorithm, request.key_size)


def _check_caa(request: CertificateRequest, client) -> None:
    identities = caa.ca_identities(client.directory, request.account.directory_url)
    problems = [
        problem
        for name in request.domains
        if (
            problem := caa.caa_problem(
                name,
                identities=identities,
                account_url=request.account.account_url,
                challenge_type=request.challenge_type,
            )
        )
    ]
    if problems:
        raise RequestFailed("CAA forbids issuance. " + " ".join(problems))


def _place_order(request: CertificateRequest, client) -> None:
    if not request.order_requested_at:
        _check_caa(request, client)
    saved = ["order_requested_at"]
    if not request.private_key_pem:
        request.private_key_pem = _private_key_for(request)
        request.csr_pem = keys.build_csr_pem(
            request.private_key_pem, request.domains, request.signature_algorithm
        )
        saved += ["private_key_pem", "csr_pem"]
    request.order_requested_at = timezone.now()
    _save(request, *saved)  # one write: no network call between the key and the order
    order = _new_order(request, client)
    try:
        offered = gateway.offered_challenges(client, order, request.challenge_type)
    except ValueError as error:
        request.order_url = order.uri
        _save(request, "order_url")
        raise RequestFailed(str(error)) from None
    with transaction.atomic():
        request.order_url = order.uri
        _save(request, "order_url")
        for item in offered:
            challenge = Challenge(
                request=request,
                domain=item.domain,
                type=request.challenge_type,
                authorization_url=item.authorization_url,
                challenge_url=item.challenge_url,
                token=item.token,
                key_authorization=item.key_authorization,
            )
            if item.authorization_status == "valid":
                challenge.status, challenge.solver = ChallengeStatus.VALID, Solver.NONE
            else:
                challenge.solver = choose_solver(request, challenge)
            challenge.save()


def _new_order(request: CertificateRequest, client):
    """The order, carrying `replaces` for a renewal; a CA that answers alreadyReplaced
    (another order replaces that certificate already) is asked once more without it
    (RFC 9773 section 5)."""
    try:
        return gateway.new_order(client, request.csr_pem, request.profile, request.replaces)
    except CaProblemError as error:
        if not request.replaces or error.problem_code != "alreadyReplaced":
            raise
        logger.info("Request %s: %s; ordering without 'replaces'", request.pk, error)
    request.replaces = ""
    _save(request, "replaces")
    return gateway.new_order(client, request.csr_pem, request.profile)


def _present_check_and_answer(request, client, challenges) -> float | None:
    open_challenges = [c for c in challenges if c.status == ChallengeStatus.PENDING]
    for challenge in open_challenges:
        if not challenge.presented:
            solver_for(challenge).present(challenge)
            challenge.presented = True
            challenge.save(update_fields=["presented"])
    try:
        not_ready = [(c, p) for c in open_challenges if (p := solver_for(c).check(c))]
    except PropagationGaveUp as gave_up:
        raise RequestFailed(str(gave_up)) from None
    problems = [problem for _, problem in not_ready]
    if problems:
        if all(solver_for(c).automated for c in open_challenges):
            request.error = "Waiting: " + " ".join(problems)
            _save(request, "error")
            # When the soonest of the not-ready checks is due again, as each computed.
            return min(solver_for(c).retry_seconds(c) for c, _ in not_ready)
        # A person published the answers: tell them which name is not ready.
        request.verify_requested, request.deadline_at = False, None
        request.error = "Not ready yet: " + " ".join(problems)
        _save(request, "verify_requested", "deadline_at", "error")
        return None
    for challenge in open_challenges:
        gateway.answer_challenge(client, challenge.challenge_url, challenge.type)
        challenge.status = ChallengeStatus.PROCESSING
        challenge.save(update_fields=["status"])
    request.error = ""
    request.status = RequestStatus.VALIDATING
    _save(request, "error", "status")
    return FIRST_POLL_SECONDS


def _move_to(request, status: str, *, next_in: float | None = 0) -> float | None:
    request.status = status
    _save(request, "status")
    return next_in


def _validating(request: CertificateRequest, client) -> float | None:
    delay = None
    for challenge in request.challenges.exclude(status=ChallengeStatus.VALID):
        authorization, response = gateway.fetch_authorization(client, challenge.authorization_url)
        status = authorization.status.name
        if status == "valid":
            challenge.status = ChallengeStatus.VALID
        elif status == "invalid":
            challenge.status = ChallengeStatus.INVALID
            challenge.error = gateway.challenge_error(authorization, challenge.challenge_url)
        else:
            delay = max(delay or 0, poll_delay(request, client, response))
        challenge.save(update_fields=["status", "error"])
    challenges = list(request.challenges.all())
    if any(c.status == ChallengeStatus.INVALID for c in challenges):
        failed = [
            f"{c.domain}: {c.error}" for c in challenges if c.status == ChallengeStatus.INVALID
        ]
        raise RequestFailed("Validation failed. " + " ".join(failed))
    if delay is not None:
        return delay
    cleanup_challenges(request)
    return _move_to(request, RequestStatus.ISSUING)


def abandon_authorizations(request: CertificateRequest, client) -> None:
    """After a failed order (whatever failed), deactivate the authorizations still
    pending so they do not count against the account (Let's Encrypt's integration
    guide). Best effort: the request has failed either way."""
    for challenge in request.challenges.filter(status__in=OPEN_CHALLENGE_STATUSES):
        try:
            gateway.deactivate_authorization(client, challenge.authorization_url)
        except AcmeError as error:
            logger.warning("Could not deactivate the authorization of %s: %s", challenge, error)
            continue
        except Exception as error:  # a bug must not keep the other authorizations open
            log_unexpected_error(
                request, f"Could not deactivate the authorization of {challenge}", error
            )
            continue
        challenge.status = ChallengeStatus.DEACTIVATED
        challenge.save(update_fields=["status"])


def cleanup_challenges(request: CertificateRequest) -> None:
    """Remove what solvers published (docs/features.md D8); runs after success and failure alike.
    A cleanup that fails is left for the periodic sweep, never blocking the request."""
    for challenge in request.challenges.filter(presented=True, cleaned_up=False):
        try:
            solver_for(challenge).cleanup(challenge)
        except (DnsProviderError, AgentError) as error:
            logger.warning("Cleanup of %s left for later: %s", challenge, error)
            continue
        except Exception as error:  # nor keep the request from finishing
            log_unexpected_error(request, f"Cleanup of {challenge} left for later", error)
            continue
        challenge.cleaned_up = True
        challenge.save(update_fields=["cleaned_up"])


def log_unexpected_error(request: CertificateRequest, what: str, error: Exception) -> None:
    """Log `what` happened with the traceback, the request's secrets cut out."""
    secrets = request.secret_values()
    logger.error("%s:\n%s", what, unexpected_errors.redacted_traceback(error, secrets=secrets))


def _issuing(request: CertificateRequest, client) -> float | None:
    order, response = gateway.fetch_order(client, request.order_url)
    status = order.status.name
    if status == "ready":
        finalized = gateway.finalize(client, order.finalize, request.csr_pem)
        # A CA that issued at once: download in this run, without a trip through the broker.
        return 0 if finalized == "valid" else FIRST_POLL_SECONDS
    if status == "processing" or (status == "valid" and not order.certificate):
        return poll_delay(request, client, response)
    if status == "valid":
        pem_chain = gateway.download_certificate(client, order.certificate)
        certificates = split_pem_certificates(pem_chain)
        request.certificate_pem = certificates[0]
        request.chain_pem = "".join(certificates[1:])
        request.status = RequestStatus.AVAILABLE
        request.error = ""
        _save(request, "certificate_pem", "chain_pem", "status", "error")
        return None
    if status == "pending":
        raise RequestFailed(
            "The CA still wants authorizations for this order; start a New challenge."
        )
    detail = describe_problem(order.error) if order.error else "no reason given"
    raise RequestFailed(f"The CA refused to issue the certificate ({detail}).")
