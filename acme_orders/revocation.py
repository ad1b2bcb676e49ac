"""Revocation at the CA (spec X1): who signs the request, and the one CA call.

RFC 8555 section 7.6 lets either the account that was issued a certificate, or the
holder of the certificate's private key, revoke it. certlife signs with the ACME
account that issued the version when it still has it and it is valid; otherwise
(the account was deleted locally, or deactivated) with the certificate's own key,
sent as a JWK, which needs no account at all.

The call is interactive, like the account actions (see accounts/actions.py): the
person revoking waits for the CA's answer on the same page.
"""

from accounts.acme import gateway
from accounts.acme.network import INTERACTIVE_POLICY
from accounts.acme_client import acme_client_for, acme_client_for_key
from accounts.errors import AcmeError, CaProblemError
from accounts.models import AcmeAccount
from acme_orders.models import Certificate, CertificateVersion


class RevocationImpossible(AcmeError):
    """Neither an account nor a CA directory is known to send the revocation to."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


def issuing_account(certificate: Certificate, version: CertificateVersion) -> AcmeAccount | None:
    """The ACME account that was issued `version`, else that of the certificate's latest
    request; None when neither is in certlife any more."""
    if version.account_id is not None:
        return version.account
    latest = certificate.requests.select_related("account").order_by("-created_at").first()
    return latest.account if latest is not None else None


def revoke_at_ca(certificate: Certificate, version: CertificateVersion, *, reason_code: int) -> str:
    """Revoke `version` at its CA with an RFC 5280 reason code; says how it was signed.
    A certificate the CA already reports as revoked counts as revoked. Raises
    AcmeError subclasses, whose messages say what went wrong in plain words."""
    account = issuing_account(certificate, version)
    if account is not None and account.is_valid:
        client = acme_client_for(account, policy=INTERACTIVE_POLICY)
        signer = f"the ACME account {account.name}"
    else:
        directory_url = version.directory_url or (account.directory_url if account else "")
        if not directory_url:
            raise RevocationImpossible(
                "certlife no longer knows which CA issued this certificate (its ACME "
                "account is gone), so it cannot be revoked from here."
            )
        client = acme_client_for_key(
            directory_url, version.private_key_pem, policy=INTERACTIVE_POLICY
        )
        signer = "the certificate's own key"
    try:
        gateway.revoke_certificate(client, version.certificate_pem, reason_code)
    except CaProblemError as error:
        if error.problem_code != "alreadyRevoked":
            raise
        return f"{signer} (the CA had already revoked it)"
    return signer
