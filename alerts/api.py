from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts import actions
from alerts.forms import AlertChannelFilterForm
from alerts.models import AlertChannel
from alerts.serializers import AlertChannelSerializer, AlertDeliverySerializer
from certlife.query import FilteredApiView


class AlertChannelViewSet(FilteredApiView, viewsets.ModelViewSet):
    """Alert channels (docs/features.md N4, N7). Administrators write; operators and
    auditors read. List filters: `?status=enabled|disabled`, `?kind=`, `?name=` (part of
    the name)."""

    queryset = AlertChannel.objects.all()
    serializer_class = AlertChannelSerializer
    filter_form_class = AlertChannelFilterForm
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {"test": ["alerts.change_alertchannel"]}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.create_alert_channel(
            name=data["name"],
            kind=data["kind"],
            target=data["target"],
            enabled=data.get("enabled", True),
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.update_alert_channel(
            serializer.instance,
            name=data.get("name"),
            enabled=data.get("enabled"),
            target=data.get("target"),
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        actions.delete_alert_channel(instance, actor=self.request.user)

    @extend_schema(request=None, responses={202: AlertDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Queue a test alert to this channel; the answer is its delivery (pending)."""
        delivery = actions.send_test_alert(self.get_object(), actor=request.user)
        return Response(AlertDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
