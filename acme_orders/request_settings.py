"""The settings of a certificate request, as one value: the form, the API, the command
line and renewal build a `RequestSettings`, and `actions.request_certificate` checks and
saves it (docs/features.md, R1-R7 and N1). Its fields are CertificateRequest fields of
the same names, so this is the one list of them."""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from accounts.models import AcmeAccount
from acme_orders.choices import KeyPolicy
from acme_orders.models import CertificateRequest
from dns_providers.models import DnsAccount


@dataclass(frozen=True)
class RequestSettings:
    """What a person chooses for a certificate; the rules are in the action."""

    account: AcmeAccount
    domains: Sequence[str]
    challenge_type: str
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    keystore_type: str
    # Secrets: kept out of repr, which may end up in a log or a traceback.
    keystore_password: str = field(default="", repr=False)
    key_policy: str = KeyPolicy.NEW
    imported_key_pem: str = field(default="", repr=False)
    dns_account: DnsAccount | None = None
    profile: str = ""
    use_builtin_http_responder: bool = False

    @classmethod
    def from_request(cls, request: CertificateRequest) -> "RequestSettings":
        """The settings `request` was made with (renewal repeats them)."""
        return cls(**{item.name: getattr(request, item.name) for item in fields(cls)})

    def with_domains(self, domains: Sequence[str]) -> "RequestSettings":
        return replace(self, domains=list(domains))

    def model_fields(self) -> dict[str, Any]:
        """The CertificateRequest field values these settings write."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["domains"] = list(self.domains)
        return values
