from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dns_providers.models import DnsAccount


@extend_schema_field(OpenApiTypes.OBJECT)
class CredentialsField(serializers.JSONField):
    """The provider's credentials, passed whole to the action, which checks them by the
    provider's declared fields (errors on `credentials` or `credentials.<field>`)."""


class DnsAccountSerializer(serializers.ModelSerializer):
    """`credentials` is write-only; answers show `credentials_summary`, where secrets
    are masked. A PATCH may send only the credentials that change."""

    provider = serializers.CharField(max_length=50)
    credentials = CredentialsField(write_only=True)
    provider_label = serializers.CharField(read_only=True)
    credentials_summary = serializers.DictField(source="masked_credentials", read_only=True)
    last_test = serializers.SerializerMethodField()

    class Meta:
        model = DnsAccount
        fields = [
            "id", "provider", "provider_label", "name", "enabled", "credentials",
            "credentials_summary", "last_test", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_last_test(self, account) -> dict:
        shown = account.connection_test
        return {"status": shown.status, "message": shown.message, "tested_at": shown.tested_at}

    def validate_provider(self, code: str) -> str:
        if self.instance is not None and code != self.instance.provider:
            raise serializers.ValidationError(
                "The provider of an account cannot change; add an account for the other one."
            )
        return code  # a provider that does not exist is refused by the action

    def validate(self, data):
        if self.instance is None and "credentials" not in data:
            raise serializers.ValidationError({"credentials": ["This field is required."]})
        return data
