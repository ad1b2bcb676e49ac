"""API shapes for ACME accounts. Input is only parsed here; `accounts.actions` checks
it, so the UI, the API and the command line refuse the same things the same way."""

from rest_framework import serializers

from accounts.models import AcmeAccount
from certlife.api import MAX_KEY_PEM_LENGTH, MAX_PASSWORD_LENGTH


class AcmeAccountSerializer(serializers.ModelSerializer):
    """An account as the API shows it: never its key."""

    class Meta:
        model = AcmeAccount
        fields = [
            "id", "name", "email", "directory_url", "account_url", "status",
            "tos_agreed_at", "eab_kid", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class RegisterAccountSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    directory = serializers.CharField(
        allow_blank=True, help_text="production, staging, or an https ACME directory URL."
    )
    agree_tos = serializers.BooleanField(default=False)
    eab_kid = serializers.CharField(required=False, allow_blank=True, default="")
    eab_hmac_key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        max_length=MAX_PASSWORD_LENGTH,
    )


class ImportAccountSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    directory = serializers.CharField(allow_blank=True)
    key_pem = serializers.CharField(
        allow_blank=True, write_only=True, trim_whitespace=False, max_length=MAX_KEY_PEM_LENGTH
    )


class UpdateEmailSerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True)
