"""Errors from talking to an ACME CA, as one small hierarchy (docs/conventions.md
point 5), and the one formatter of a CA's problem document (`describe_problem`).

Every error says whether retrying can help (`permanent`), how long to wait when the
CA said so (`retry_after`, seconds) and, for a CA problem document, its `type`.
Messages name the CA's host and what went wrong; they never carry a key or a secret.
"""

from acme import messages

ACME_ERROR_PREFIX = "urn:ietf:params:acme:error:"


def describe_problem(problem: messages.Error) -> str:
    """A problem document in plain words: its detail (or title), each subproblem's
    detail, then its type without the ACME prefix, e.g.
    "No TXT record found at _acme-challenge.example.org (dns)"."""
    details = [problem.detail or problem.title or problem.description or "no detail given"]
    details += [sub.detail for sub in problem.subproblems or () if sub.detail]
    problem_type = (problem.typ or "about:blank").removeprefix(ACME_ERROR_PREFIX)
    return f"{'; '.join(details)} ({problem_type})"


class AcmeError(Exception):
    """Something went wrong talking to an ACME CA."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        problem_type: str | None = None,
    ):
        # Exception.__init__ by name: CaProblemError also inherits a josepy mapping.
        Exception.__init__(self, message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.problem_type = problem_type

    def __str__(self) -> str:
        return self.message

    @property
    def problem_code(self) -> str | None:
        """The problem type without the ACME prefix: "badNonce", "rateLimited"..."""
        if self.problem_type and self.problem_type.startswith(ACME_ERROR_PREFIX):
            return self.problem_type[len(ACME_ERROR_PREFIX) :]
        return self.problem_type


class CaUnreachableError(AcmeError):
    """No HTTP answer: connection refused, DNS failure, TLS failure, time-out."""


class DestinationRefusedError(AcmeError):
    """certlife does not connect there (certlife.outbound): the address is not public
    and CERTLIFE_ALLOWED_PRIVATE_NETWORKS does not allow it, or the URL is refused."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class NotAcmeServerError(AcmeError):
    """The URL answered, but not as an ACME server (no directory, no problem document)."""


class CaProblemError(AcmeError, messages.Error):
    """The CA answered with an RFC 7807 problem document.

    It is also an `acme.messages.Error` so that the acme library's own handling keeps
    working inside its helpers (e.g. `finalize_order` ignoring `orderNotReady`).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        problem: messages.Error,
        status: int,
    ):
        messages.Error.__init__(
            self,
            typ=problem.typ,
            title=problem.title,
            detail=problem.detail,
            identifier=problem.identifier,
            subproblems=problem.subproblems,
        )
        AcmeError.__init__(
            self,
            message,
            permanent=permanent,
            retry_after=retry_after,
            problem_type=problem.typ,
        )
        self.status = status

    def __str__(self) -> str:
        return self.message

    # messages.Error is an immutable mapping and hashes its fields; an exception must
    # stay hashable by identity for traceback handling.
    __hash__ = Exception.__hash__
    __eq__ = Exception.__eq__


class CaBusyError(AcmeError):
    """The CA asked us to come back later (429, 503) or failed on its side (5xx)."""

    def __init__(self, message: str, *, retry_after: float | None, status: int, problem_type=None):
        super().__init__(
            message, permanent=False, retry_after=retry_after, problem_type=problem_type
        )
        self.status = status


class UnsupportedAccountKeyError(AcmeError):
    """The account key is not one PEM private key of a shape certlife offers (RSA 2048,
    3072 or 4096 bits, EC P-256 or P-384)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class AccountNotFoundAtCaError(AcmeError):
    """The CA knows no account for this key (onlyReturnExisting was refused)."""

    def __init__(self, message: str):
        problem_type = ACME_ERROR_PREFIX + "accountDoesNotExist"
        super().__init__(message, permanent=True, problem_type=problem_type)


class AccountDeactivatedAtCaError(AcmeError):
    """The key's account was deactivated at the CA: it can never be used again (A6)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)
