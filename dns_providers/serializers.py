from rest_framework import serializers

from dns_providers.actions import merged_credentials
from dns_providers.models import DnsAccount
from dns_providers.providers import PROVIDERS


class DnsAccountSerializer(serializers.ModelSerializer):
    """`credentials` is write-only; answers show `credentials_summary`, where secrets
    are masked. A PATCH may send only the credentials that change."""

    provider = serializers.CharField(max_length=50)
    credentials = serializers.DictField(write_only=True)
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
        if code not in PROVIDERS:
            raise serializers.ValidationError(
                f"Unknown provider {code!r}; one of: {', '.join(PROVIDERS)}."
            )
        return code

    def validate(self, data):
        submitted = data.get("credentials")
        if submitted is None:
            if self.instance is None:
                raise serializers.ValidationError({"credentials": ["This field is required."]})
            return data
        code = self.instance.provider if self.instance else data["provider"]
        if self.instance is not None:
            submitted = merged_credentials(self.instance, submitted)
        _, errors = PROVIDERS[code].clean_credentials(submitted)
        if errors:
            raise serializers.ValidationError({"credentials": errors})
        return data
