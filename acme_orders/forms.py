from django import forms
from django.urls import reverse_lazy

from accounts.choices import AccountStatus
from accounts.models import AcmeAccount
from acme_orders.choices import (
    ChallengeType,
    ExportFormat,
    KeyAlgorithm,
    KeyPolicy,
    KeystoreType,
    SignatureAlgorithm,
)
from dns_providers.models import DnsAccount

KEY_SIZES = [
    (2048, "RSA 2048"),
    (3072, "RSA 3072"),
    (4096, "RSA 4096"),
    (256, "EC P-256"),
    (384, "EC P-384"),
]


class CertificateRequestForm(forms.Form):
    """Certificates >> ACME >> Let's Encrypt >> Request. The rules are in the action."""

    account = forms.ModelChoiceField(
        queryset=AcmeAccount.objects.filter(status=AccountStatus.VALID),
        label="ACME account",
        # The profile select follows the chosen account's CA (spec R7).
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("request-profiles"),
                "hx-trigger": "change, load",
                "hx-target": "#profile-choices",
                "hx-include": "[name=profile]",
            }
        ),
    )
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One name per line (1 to 100). The first is the common name.",
    )
    challenge_type = forms.ChoiceField(
        choices=ChallengeType.choices, widget=forms.RadioSelect, initial=ChallengeType.HTTP_01
    )
    key_algorithm = forms.ChoiceField(choices=KeyAlgorithm.choices, initial=KeyAlgorithm.EC)
    key_size = forms.TypedChoiceField(choices=KEY_SIZES, coerce=int, initial=256)
    signature_algorithm = forms.ChoiceField(
        choices=SignatureAlgorithm.choices, initial=SignatureAlgorithm.SHA256_ECDSA
    )
    keystore_type = forms.ChoiceField(choices=KeystoreType.choices)
    keystore_password = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Required for PKCS#12 and JKS."
    )
    key_policy = forms.ChoiceField(choices=KeyPolicy.choices, initial=KeyPolicy.NEW)
    imported_key_pem = forms.CharField(
        required=False,
        label="Imported private key (PEM)",
        widget=forms.Textarea(attrs={"rows": 4}),
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


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportFormat.choices)
    include_key = forms.BooleanField(required=False, label="Include the private key")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="For PKCS#12 and JKS; empty uses the request's keystore password.",
    )


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
