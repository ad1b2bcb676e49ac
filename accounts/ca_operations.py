"""The account requests of RFC 8555 section 7.3, one function each.

They talk to the CA only, never to the database: `accounts.actions` calls them and
stores the outcome. Every function raises `accounts.errors.AcmeError` subclasses.
"""

from dataclasses import dataclass

import josepy as jose
from acme import errors as acme_errors
from acme import messages

from accounts.acme.keys import jwk_and_algorithm
from accounts.acme.network import INTERACTIVE_POLICY, RetryPolicy, host_of
from accounts.acme_client import acme_client_for, acme_client_for_key
from accounts.choices import AccountStatus
from accounts.errors import (
    AccountDeactivatedAtCaError,
    AccountNotFoundAtCaError,
    AcmeError,
    CaProblemError,
)


@dataclass(frozen=True)
class AccountAtCa:
    """What the CA says about an account."""

    url: str
    status: str
    contact: tuple[str, ...]


def _account_at_ca(regr: messages.RegistrationResource) -> AccountAtCa:
    # The library parses an account's status as a plain string (its hint says Status).
    status = str(regr.body.status or AccountStatus.VALID)
    return AccountAtCa(url=regr.uri, status=status, contact=regr.body.contact)


def _registration_of(account) -> messages.RegistrationResource:
    return messages.RegistrationResource(uri=account.account_url, body=messages.Registration())


def _deactivated_error(directory_url: str) -> AccountDeactivatedAtCaError:
    return AccountDeactivatedAtCaError(
        f"The account of this key was deactivated at {host_of(directory_url)}; a "
        "deactivated account can never be used again."
    )


def _is_deactivated_problem(error: CaProblemError) -> bool:
    return error.problem_code == "unauthorized" and "deactivated" in (error.detail or "").lower()


def external_account_binding(client, key: jose.JWK, *, kid: str, hmac_key: str) -> dict:
    """The EAB object for newAccount; `hmac_key` is base64url as CAs hand it out."""
    try:
        return messages.ExternalAccountBinding.from_data(
            account_public_key=key.public_key(),
            kid=kid,
            hmac_key=hmac_key,
            directory=client.directory,
        )
    except (ValueError, TypeError):
        raise AcmeError("The EAB HMAC key is not valid base64url text.", permanent=True) from None


def create_account(
    directory_url: str,
    key_pem: str,
    *,
    email: str,
    eab_kid: str = "",
    eab_hmac_key: str = "",
    policy: RetryPolicy = INTERACTIVE_POLICY,
) -> AccountAtCa:
    """newAccount for a new key, agreeing to the CA's terms (the caller checked that
    the person ticked them)."""
    client = acme_client_for_key(directory_url, key_pem, policy=policy)
    binding = None
    if eab_kid:
        account_key, _alg = jwk_and_algorithm(key_pem)
        binding = external_account_binding(client, account_key, kid=eab_kid, hmac_key=eab_hmac_key)
    registration = messages.NewRegistration.from_data(
        email=email, terms_of_service_agreed=True, external_account_binding=binding
    )
    try:
        return _account_at_ca(client.new_account(registration))
    except acme_errors.ConflictError:
        # Only a key that already has an account gets here; ours are brand new.
        raise AcmeError(
            "The CA says this key already has an account: import it instead.", permanent=True
        ) from None


def find_existing_account(
    directory_url: str, key_pem: str, *, policy: RetryPolicy = INTERACTIVE_POLICY
) -> AccountAtCa:
    """The account this key already has at the CA (newAccount with onlyReturnExisting:
    never creates one). Refuses a key without an account, or whose account is
    deactivated."""
    client = acme_client_for_key(directory_url, key_pem, policy=policy)
    lookup = messages.NewRegistration(only_return_existing=True)
    try:
        response = client.net.post(
            client.directory["newAccount"], lookup, new_nonce_url=client.directory["newNonce"]
        )
    except CaProblemError as error:
        if error.problem_code == "accountDoesNotExist":
            raise AccountNotFoundAtCaError(
                f"{host_of(directory_url)} has no account for this key."
            ) from None
        if _is_deactivated_problem(error):
            raise _deactivated_error(directory_url) from None
        raise
    account = _account_at_ca(
        messages.RegistrationResource(
            body=messages.Registration.from_json(response.json()),
            uri=response.headers.get("Location", ""),
        )
    )
    if account.status == AccountStatus.DEACTIVATED:
        raise _deactivated_error(directory_url)
    if account.status != AccountStatus.VALID or not account.url:
        raise AcmeError(
            f"{host_of(directory_url)} reports the account of this key as "
            f"{account.status!r}; only a valid account can be added.",
            permanent=True,
        )
    return account


def update_contact(account, *, email: str, policy: RetryPolicy = INTERACTIVE_POLICY) -> AccountAtCa:
    """Set the account's contact at the CA to `mailto:email` (A2)."""
    client = acme_client_for(account, policy=policy)
    update = messages.Registration.from_data(email=email)
    try:
        return _account_at_ca(client.update_registration(_registration_of(account), update))
    except CaProblemError as error:
        if _is_deactivated_problem(error):
            raise _deactivated_error(account.directory_url) from None
        raise


def deactivate(account, *, policy: RetryPolicy = INTERACTIVE_POLICY) -> AccountAtCa:
    """Deactivate the account at the CA, for ever (A6)."""
    client = acme_client_for(account, policy=policy)
    try:
        return _account_at_ca(client.deactivate_registration(_registration_of(account)))
    except CaProblemError as error:
        if _is_deactivated_problem(error):
            raise _deactivated_error(account.directory_url) from None
        raise
