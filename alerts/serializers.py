from rest_framework import serializers

from alerts.choices import ChannelKind
from alerts.models import AlertChannel, AlertDelivery


class AlertDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="alert.event", read_only=True)

    class Meta:
        model = AlertDelivery
        fields = [
            "id", "event", "status", "attempts", "last_error", "next_attempt_at",
            "created_at", "sent_at",
        ]  # fmt: skip
        read_only_fields = fields


class AlertChannelSerializer(serializers.ModelSerializer):
    """`target` is write-only for the URL kinds (the URL is the secret) and shown for
    email channels; `target_summary` shows a URL's scheme and host only. A PATCH may
    leave `target` out (or send it empty for a URL kind) to keep it."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    target = serializers.CharField(
        write_only=True, max_length=4000, allow_blank=True, trim_whitespace=False
    )
    target_summary = serializers.CharField(read_only=True)
    last_delivery = serializers.SerializerMethodField()

    class Meta:
        model = AlertChannel
        fields = [
            "id", "name", "kind", "target", "target_summary", "enabled", "last_delivery",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_last_delivery(self, channel) -> dict | None:
        delivery = channel.deliveries.select_related("alert").order_by("-created_at", "-id").first()
        return AlertDeliverySerializer(delivery).data if delivery else None

    def to_representation(self, channel):
        data = super().to_representation(channel)
        if not channel.target_is_secret:
            data["target"] = channel.target
        return data

    def validate_kind(self, kind: str) -> str:
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError(
                "The kind of a channel cannot change; add a channel of the other kind."
            )
        return kind

    def validate(self, data):
        if self.instance is None and "target" not in data:
            raise serializers.ValidationError({"target": ["This field is required."]})
        return data
