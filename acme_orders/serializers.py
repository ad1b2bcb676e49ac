from rest_framework import serializers

from accounts.models import AcmeAccount
from acme_orders.choices import (
    ChallengeType,
    ExportFormat,
    KeyAlgorithm,
    KeyPolicy,
    KeystoreType,
    RevocationReason,
    SignatureAlgorithm,
)
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion, Challenge
from acme_orders.names import DEFAULT_MAX_NAMES, MAX_INPUT_NAME_LENGTH
from acme_orders.request_settings import RequestSettings
from certlife.api import MAX_KEY_PEM_LENGTH, MAX_PASSWORD_LENGTH, CountedListField
from dns_providers.models import DnsAccount


class ChallengeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Challenge
        fields = [
            "domain", "type", "status", "solver", "http_path", "http_content",
            "txt_name", "txt_value", "error",
        ]  # fmt: skip


class CertificateRequestSerializer(serializers.ModelSerializer):
    """A request as the API answers it; secrets (keys, keystore password) never appear."""

    challenges = ChallengeSerializer(many=True, read_only=True)

    class Meta:
        model = CertificateRequest
        fields = [
            "id", "status", "error", "domains", "account", "challenge_type", "key_algorithm",
            "key_size", "signature_algorithm", "keystore_type", "key_policy", "dns_account",
            "profile", "use_builtin_http_responder", "challenges", "certificate",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewRequestSerializer(serializers.Serializer):
    """The body of POST /api/v1/requests/; the rules live in actions.request_certificate."""

    account = serializers.PrimaryKeyRelatedField(queryset=AcmeAccount.objects.all())
    domains = CountedListField(
        child=serializers.CharField(max_length=MAX_INPUT_NAME_LENGTH),
        min_length=1,
        max_length=DEFAULT_MAX_NAMES,
        error_messages={"max_length": "At most {max_length} names per certificate."},
    )
    challenge_type = serializers.ChoiceField(choices=ChallengeType.choices)
    key_algorithm = serializers.ChoiceField(choices=KeyAlgorithm.choices)
    key_size = serializers.IntegerField()
    signature_algorithm = serializers.ChoiceField(choices=SignatureAlgorithm.choices)
    keystore_type = serializers.ChoiceField(choices=KeystoreType.choices)
    keystore_password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
    )
    key_policy = serializers.ChoiceField(choices=KeyPolicy.choices, default=KeyPolicy.NEW)
    imported_key_pem = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=MAX_KEY_PEM_LENGTH
    )
    dns_account = serializers.PrimaryKeyRelatedField(
        queryset=DnsAccount.objects.all(), required=False, allow_null=True
    )
    profile = serializers.CharField(required=False, allow_blank=True, max_length=50)
    use_builtin_http_responder = serializers.BooleanField(default=False)

    def request_settings(self) -> RequestSettings:
        return RequestSettings(**self.validated_data)


class AssignDnsSerializer(serializers.Serializer):
    dns_account = serializers.PrimaryKeyRelatedField(queryset=DnsAccount.objects.all())


class CertificateVersionSerializer(serializers.ModelSerializer):
    """One version (spec N2); `created_by_name` is a user's name or "scheduler"."""

    class Meta:
        model = CertificateVersion
        fields = [
            "id", "serial_number", "issuer", "key_type", "key_fingerprint", "not_before",
            "not_after", "created_at", "created_by_name",
        ]  # fmt: skip


class RenewalSerializer(serializers.Serializer):
    """The `renewal` block of a certificate (spec N3, N6): when it renews and why, the
    last and next attempt; window and explanation only where the CA gave an ARI window."""

    OPTIONAL = (
        "window_start", "window_end", "explanation_url", "last_attempt_at", "next_attempt_at",
    )  # fmt: skip

    due_at = serializers.DateTimeField(source="renewal_due_at", allow_null=True)
    # A declared field (DRF takes it out of the class), not Field.source: mypy cannot tell.
    source = serializers.CharField(source="renewal_source")  # type: ignore[assignment]
    window_start = serializers.DateTimeField(source="renewal_window_start", required=False)
    window_end = serializers.DateTimeField(source="renewal_window_end", required=False)
    explanation_url = serializers.CharField(source="renewal_explanation_url", required=False)
    last_attempt_at = serializers.DateTimeField(source="renewal_last_attempt_at", required=False)
    next_attempt_at = serializers.DateTimeField(source="renewal_next_attempt_at", required=False)
    failures = serializers.IntegerField(source="renewal_failures")
    last_error = serializers.CharField(source="renewal_last_error")
    blocker = serializers.CharField(source="renewal_blocker")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if value or key not in self.OPTIONAL}


class CertificateSerializer(serializers.ModelSerializer):
    current_version = CertificateVersionSerializer(read_only=True)
    days_left = serializers.IntegerField(read_only=True, allow_null=True)
    renewal = RenewalSerializer(source="*", read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id", "common_name", "domains", "status", "days_left", "current_version",
            "created_at", "updated_at", "revoked_at", "revocation_reason", "auto_renew",
            "renewal",
        ]  # fmt: skip
        read_only_fields = fields


class AutoRenewSerializer(serializers.Serializer):
    """The body of PATCH /api/v1/certificates/{id}/ (spec N5)."""

    auto_renew = serializers.BooleanField()


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.PEM)
    include_key = serializers.BooleanField(default=False)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="An id from .../versions/ (spec N2); the current version by default.",
    )


class RevokeSerializer(serializers.Serializer):
    """The body of POST /api/v1/certificates/{id}/revoke/ (spec X1)."""

    reason = serializers.ChoiceField(choices=RevocationReason.choices)


class EmailCertificateSerializer(serializers.Serializer):
    """The body of POST /api/v1/requests/{id}/email/. With `include_key`, the request's
    keystore type carrying the private key (needs export_private_key); without, the
    certificate and chain as a PEM bundle."""

    to = serializers.EmailField()
    include_key = serializers.BooleanField(default=False)
