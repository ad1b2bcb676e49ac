"""GET /api/v1/deployments/ and POST .../{id}/retry/ (docs/features.md V6, V11)."""

from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents import deployment_actions
from agents.choices import DeploymentStatus
from agents.models import Deployment
from certlife.api import LARGEST_JSON_INTEGER
from certlife.query import FilteredApiView, FilterForm, choice_filter, text_filter


class DeploymentFilterForm(FilterForm):
    certificate = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=LARGEST_JSON_INTEGER,
        help_text="A repository certificate's id.",
    )
    status = choice_filter(DeploymentStatus.choices)
    name = text_filter(help_text="Part of the certificate's name or of the host.")

    def narrow(self, queryset, values):
        if "certificate" in values:
            queryset = queryset.filter(certificate_id=values["certificate"])
        if "status" in values:
            queryset = queryset.filter(status=values["status"])
        if "name" in values:
            queryset = queryset.filter(
                Q(certificate__domains__icontains=values["name"])
                | Q(host__icontains=values["name"])
            )
        return queryset


class DeploymentSerializer(serializers.ModelSerializer):
    served_serial = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "id",
            "certificate",
            "version",
            "mapping",
            "host",
            "status",
            "served_serial",
            "output",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_served_serial(self, deployment: Deployment) -> str | None:
        return deployment.served_serial or None


class DeploymentViewSet(FilteredApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deployments of certificates to end servers. Filter: `?certificate=`, `?status=`,
    `?name=`."""

    queryset = Deployment.objects.all()
    serializer_class = DeploymentSerializer
    filter_form_class = DeploymentFilterForm
    action_permissions = {"retry": ["agents.change_deployment"]}

    @extend_schema(request=None, responses=DeploymentSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        retried = deployment_actions.retry_deployment(self.get_object(), actor=request.user)
        return Response(self.get_serializer(retried).data)
