from rest_framework import serializers

from agents.actions import FIELDS_OF_KIND
from agents.choices import MappingKind
from agents.models import Agent, AgentMapping
from certlife.api import MAX_KEY_PEM_LENGTH, MAX_PASSWORD_LENGTH
from dns_providers.serializers import CredentialsField

# The API's names of the DNS mapping's fields (as a DNS account's), by model field.
API_NAMES = {"dns_provider": "provider", "dns_credentials": "credentials"}
COMMON_FIELDS = [
    "id", "kind", "domain", "deploy", "enabled", "last_error", "created_at", "updated_at",
]  # fmt: skip
SHOWN_OF_KIND = {
    MappingKind.LINUX: [
        *(name for name in FIELDS_OF_KIND[MappingKind.LINUX]),
        "seen_host_key_fingerprint",
        "has_password",
        "has_private_key",
    ],
    MappingKind.WINDOWS: list(FIELDS_OF_KIND[MappingKind.WINDOWS]),
    MappingKind.DNS: ["provider", "credentials", "credentials_summary"],
}


class AgentMappingSerializer(serializers.ModelSerializer):
    """The fields of the mapping's kind (spec API table). Secrets (`password`,
    `private_key`, `credentials`) are write-only; answers say `has_password`,
    `has_private_key` and show `credentials_summary` masked. The rules are
    agents.actions', which the view calls with what this serializer read."""

    kind = serializers.ChoiceField(choices=MappingKind.choices)
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, trim_whitespace=False,
        max_length=MAX_PASSWORD_LENGTH,
    )  # fmt: skip
    private_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, trim_whitespace=False,
        max_length=MAX_KEY_PEM_LENGTH,
    )  # fmt: skip
    has_password = serializers.SerializerMethodField()
    has_private_key = serializers.SerializerMethodField()
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.all(), required=False, allow_null=True
    )
    provider = serializers.CharField(source="dns_provider", required=False, max_length=50)
    credentials = CredentialsField(source="dns_credentials", write_only=True, required=False)
    credentials_summary = serializers.DictField(source="masked_dns_credentials", read_only=True)

    class Meta:
        model = AgentMapping
        fields = [
            *COMMON_FIELDS,
            *FIELDS_OF_KIND[MappingKind.LINUX],
            "seen_host_key_fingerprint", "has_password", "has_private_key",
            "install_to_iis", "site", "agent",
            "provider", "credentials", "credentials_summary",
        ]  # fmt: skip
        read_only_fields = ["last_error", "seen_host_key_fingerprint", "created_at", "updated_at"]

    def get_has_password(self, mapping) -> bool:
        return bool(mapping.password)

    def get_has_private_key(self, mapping) -> bool:
        return bool(mapping.private_key)

    def validate_kind(self, kind: str) -> str:
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError(
                "The kind of a mapping cannot change; make a new mapping."
            )
        return kind

    def validate(self, data):
        if self.instance is None and "kind" not in data:
            raise serializers.ValidationError({"kind": ["This field is required."]})
        return data

    def to_representation(self, mapping):
        shown = super().to_representation(mapping)
        kept = set(COMMON_FIELDS) | set(SHOWN_OF_KIND[MappingKind(mapping.kind)])
        return {name: value for name, value in shown.items() if name in kept}


class TrustHostKeySerializer(serializers.Serializer):
    fingerprint = serializers.CharField(max_length=100)
