from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents import actions
from agents.forms import AgentMappingFilterForm
from agents.models import AgentMapping
from agents.serializers import API_NAMES, AgentMappingSerializer, TrustHostKeySerializer
from certlife.api import validated_input
from certlife.query import FilteredApiView


def _in_api_names(error: ValidationError) -> ValidationError:
    """The action's errors under the API's names (provider, credentials.<field>)."""
    if not hasattr(error, "error_dict"):
        return error
    renamed = {}
    for name, messages in error.message_dict.items():
        field, dot, rest = name.partition(".")
        renamed[API_NAMES.get(field, field) + dot + rest] = messages
    return ValidationError(renamed)


class AgentMappingViewSet(FilteredApiView, viewsets.ModelViewSet):
    """Agent mappings (docs/features.md V3-V7, V11). Operators and administrators write,
    administrators delete, auditors read. List filters: `?kind=`, `?domain=` (part)."""

    queryset = AgentMapping.objects.select_related("agent")
    serializer_class = AgentMappingSerializer
    filter_form_class = AgentMappingFilterForm
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {"trust_host_key": ["agents.change_agentmapping"]}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        kind = data.pop("kind")
        try:
            serializer.instance = actions.create_mapping(kind=kind, actor=self.request.user, **data)
        except ValidationError as error:
            raise _in_api_names(error) from None

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("kind", None)
        try:
            serializer.instance = actions.update_mapping(
                serializer.instance, actor=self.request.user, **data
            )
        except ValidationError as error:
            raise _in_api_names(error) from None

    def perform_destroy(self, instance):
        actions.delete_mapping(instance, actor=self.request.user)

    @extend_schema(request=TrustHostKeySerializer, responses={200: AgentMappingSerializer})
    @action(detail=True, methods=["post"], url_path="trust-host-key")
    def trust_host_key(self, request, pk=None):
        """Pin the host key certlife saw (`seen_host_key_fingerprint`), after comparing it
        with the server's."""
        data = validated_input(TrustHostKeySerializer, request.data)
        mapping = actions.trust_host_key(
            self.get_object(), fingerprint=data["fingerprint"], actor=request.user
        )
        return Response(self.get_serializer(mapping).data)
