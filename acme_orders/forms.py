from django import forms
from django.urls import reverse_lazy

from accounts.choices import AccountStatus
from accounts.models import AcmeAccount
from acme_orders.choices import (
    KEY_ALGORITHM_OF_SIGNATURE,
    KEY_ALGORITHM_OF_SIZE,
    CertificateStatus,
    ChallengeType,
    ExpiryBand,
    ExportFormat,
    KeyAlgorithm,
    KeyPolicy,
    KeystoreType,
    RequestStatus,
    RevocationReason,
    SignatureAlgorithm,
)
from acme_orders.names import DEFAULT_MAX_NAMES, MAX_INPUT_NAME_LENGTH
from acme_orders.repository import search_certificates
from acme_orders.request_settings import RequestSettings
from certlife.private_keys import OFFERED_KEY_SHAPES
from certlife.query import FilterForm, NameAndStatusFilterForm, choice_filter, text_filter
from certlife.widgets import SecretTextarea, TaggedSelect
from dns_providers.models import DnsAccount

NEEDS_ATTENTION = "yes"
KEY_SIZES = [(shape.size, shape.label) for shape in OFFERED_KEY_SHAPES]


class CertificateRequestForm(forms.Form):
    """Certificates >> ACME >> Let's Encrypt >> Request. The rules are in the action."""

    account = forms.ModelChoiceField(
        queryset=AcmeAccount.objects.filter(status=AccountStatus.VALID),
        label="ACME account",
        # The profile select follows the chosen account's CA (spec R7).
        widget=forms.Select(
            attrs={
                "hx-post": reverse_lazy("request-profiles"),
                "hx-trigger": "change, load",
                "hx-target": "#profile-choices",
                "hx-include": "[name=profile]",
                # A POST would send the whole form (keystore password, imported key).
                "hx-params": "account,profile",
            }
        ),
    )
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One name per line (1 to 100). The first is the common name.",
        # Room for the most names, each as long as one may be; the action counts them.
        max_length=DEFAULT_MAX_NAMES * (MAX_INPUT_NAME_LENGTH + 2),
    )
    challenge_type = forms.ChoiceField(
        choices=ChallengeType.choices, widget=forms.RadioSelect, initial=ChallengeType.HTTP_01
    )
    key_algorithm = forms.ChoiceField(choices=KeyAlgorithm.choices, initial=KeyAlgorithm.EC)
    # certlife.js offers only the sizes and signatures tagged with the chosen algorithm.
    key_size = forms.TypedChoiceField(
        choices=KEY_SIZES,
        coerce=int,
        initial=256,
        widget=TaggedSelect(tag="algorithm", tags=KEY_ALGORITHM_OF_SIZE),
    )
    signature_algorithm = forms.ChoiceField(
        choices=SignatureAlgorithm.choices,
        initial=SignatureAlgorithm.SHA256_ECDSA,
        widget=TaggedSelect(tag="algorithm", tags=KEY_ALGORITHM_OF_SIGNATURE),
    )
    keystore_type = forms.ChoiceField(choices=KeystoreType.choices)
    keystore_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Required for PKCS#12 and JKS.",
    )
    key_policy = forms.ChoiceField(choices=KeyPolicy.choices, initial=KeyPolicy.NEW)
    imported_key_pem = forms.CharField(
        required=False,
        label="Imported private key (PEM)",
        widget=SecretTextarea(attrs={"rows": 4}),
    )
    dns_account = forms.ModelChoiceField(
        queryset=DnsAccount.objects.filter(enabled=True),
        required=False,
        label="DNS account",
        help_text="DNS-01 only: validates every name automatically.",
    )
    use_builtin_http_responder = forms.BooleanField(
        required=False,
        label="Answer HTTP-01 from certlife",
        help_text="For sites whose port 80 forwards /.well-known/acme-challenge/ to certlife.",
    )
    profile = forms.CharField(required=False, label="ACME profile")

    def clean_domains(self):
        return [line.strip() for line in self.cleaned_data["domains"].splitlines() if line.strip()]

    def request_settings(self) -> RequestSettings:
        return RequestSettings(**self.cleaned_data)


class ProfileFieldQuery(forms.Form):
    """The query of the Request form's profile fragment; a bad value reads as none."""

    account = forms.ModelChoiceField(queryset=AcmeAccount.objects.all(), required=False)
    profile = forms.CharField(required=False, max_length=50)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportFormat.choices)
    include_key = forms.BooleanField(required=False, label="Include the private key")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="For PKCS#12 and JKS; empty uses the request's keystore password.",
    )


class CertificateExportForm(ExportForm):
    """Export of a repository certificate: its current version, or the `version` chosen
    in its history (spec N2)."""

    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *RevocationReason.choices],
        help_text="Sent to the CA with the revocation (RFC 5280 reason code).",
    )


class AutoRenewForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class AssignDnsForm(forms.Form):
    dns_account = forms.ModelChoiceField(queryset=DnsAccount.objects.filter(enabled=True))


class EmailCertificateForm(forms.Form):
    to = forms.EmailField(label="Send to")
    include_key = forms.BooleanField(
        required=False,
        label="Send the private key too",
        help_text="Sent in the request's keystore type; without the key, certificate and "
        "chain go as a PEM bundle.",
    )

    def __init__(self, *args, **kwargs):
        # Its own element ids: the export form beside it has an include_key field too.
        kwargs.setdefault("auto_id", "email_%s")
        super().__init__(*args, **kwargs)


class CertificateFilterForm(FilterForm):
    """The repository's filters (spec P4), on the page and in the API."""

    name = text_filter(help_text="Part of a name in the certificate.")
    status = choice_filter(CertificateStatus.choices)
    expiry = choice_filter(ExpiryBand.choices, label="Expiry")
    attention = choice_filter([(NEEDS_ATTENTION, "Needs attention")], label="Attention")

    def narrow(self, queryset, values):
        return search_certificates(
            queryset,
            status=values.get("status", ""),
            expiry=values.get("expiry", ""),
            text=values.get("name", "").strip(),
            attention=values.get("attention") == NEEDS_ATTENTION,
        )


class RequestFilterForm(NameAndStatusFilterForm):
    name = text_filter(help_text="Part of a requested name.")
    status = choice_filter(RequestStatus.choices)
    name_lookup = "domains__icontains"


class PendingRequestFilterForm(RequestFilterForm):
    """Pending requests: every status but saved."""

    status = choice_filter([c for c in RequestStatus.choices if c[0] != RequestStatus.SAVED])
