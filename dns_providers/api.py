from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from certlife.query import FilteredApiView
from dns_providers import actions
from dns_providers.forms import DnsAccountFilterForm
from dns_providers.models import DnsAccount
from dns_providers.serializers import DnsAccountSerializer


class DnsAccountViewSet(FilteredApiView, viewsets.ModelViewSet):
    """DNS accounts (docs/features.md D1-D7). Administrators write; operators and auditors read.
    List filters: `?status=enabled|disabled`, `?name=` (part of the name)."""

    queryset = DnsAccount.objects.all()
    serializer_class = DnsAccountSerializer
    filter_form_class = DnsAccountFilterForm
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {"test": ["dns_providers.change_dnsaccount"]}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.create_dns_account(
            provider=data["provider"],
            name=data["name"],
            enabled=data.get("enabled", True),
            credentials=data["credentials"],
            actor=self.request.user,
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.update_dns_account(
            serializer.instance,
            name=data.get("name"),
            enabled=data.get("enabled"),
            credentials=data.get("credentials"),
            actor=self.request.user,
        )

    def perform_destroy(self, instance):
        actions.delete_dns_account(instance, actor=self.request.user)

    @extend_schema(request=None, responses={202: DnsAccountSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Queue "Test connection"; the outcome appears in `last_test` when done."""
        account = actions.start_connection_test(self.get_object(), actor=request.user)
        return Response(self.get_serializer(account).data, status=status.HTTP_202_ACCEPTED)
