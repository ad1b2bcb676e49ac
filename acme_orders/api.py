from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from acme_orders import actions
from acme_orders.forms import CertificateFilterForm, RequestFilterForm
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion
from acme_orders.serializers import (
    AssignDnsSerializer,
    AutoRenewSerializer,
    CertificateRequestSerializer,
    CertificateSerializer,
    CertificateVersionSerializer,
    EmailCertificateSerializer,
    ExportQuerySerializer,
    NewRequestSerializer,
    RevokeSerializer,
)
from certlife.api import validated_input
from certlife.query import FilteredApiView


class FileExportNegotiation(BaseContentNegotiation):
    """On export, `?format=` names the file format (spec API), not DRF's renderer; errors
    are answered as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _file_response(exported) -> HttpResponse:
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


class CertificateRequestViewSet(
    FilteredApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Certificate requests (spec R, V, P). Filter: `?status=`, `?name=` (part of a name)."""

    queryset = CertificateRequest.objects.select_related("account").prefetch_related("challenges")
    serializer_class = CertificateRequestSerializer
    filter_form_class = RequestFilterForm
    action_permissions = {
        "verify": ["acme_orders.change_certificaterequest"],
        "new_challenge": ["acme_orders.change_certificaterequest"],
        "assign_dns": ["acme_orders.change_certificaterequest"],
        "save": ["acme_orders.add_certificate"],
        # The action checks the key permission too, as every export does.
        "email": ["acme_orders.export_certificate"],
    }

    @extend_schema(request=NewRequestSerializer, responses=CertificateRequestSerializer)
    def create(self, request):
        body = NewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = actions.request_certificate(actor=request.user, settings=body.request_settings())
        return Response(self.get_serializer(created).data, status=201)

    @extend_schema(request=None, responses=CertificateRequestSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        verified = actions.verify_request(self.get_object(), actor=request.user)
        return Response(self.get_serializer(verified).data)

    @extend_schema(request=None, responses=CertificateRequestSerializer)
    @action(detail=True, methods=["post"], url_path="new-challenge")
    def new_challenge(self, request, pk=None):
        renewed = actions.new_challenge(self.get_object(), actor=request.user)
        return Response(self.get_serializer(renewed).data)

    @extend_schema(request=AssignDnsSerializer, responses=CertificateRequestSerializer)
    @action(detail=True, methods=["post"], url_path="assign-dns")
    def assign_dns(self, request, pk=None):
        data = validated_input(AssignDnsSerializer, request.data)
        assigned = actions.assign_dns_account(
            self.get_object(), dns_account=data["dns_account"], actor=request.user
        )
        return Response(self.get_serializer(assigned).data)

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def save(self, request, pk=None):
        certificate = actions.save_to_repository(self.get_object(), actor=request.user)
        return Response({"certificate": certificate.pk})

    @extend_schema(request=EmailCertificateSerializer, responses={202: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def email(self, request, pk=None):
        """Email the certificate (spec P2); answers `{to, include_key, format}` once queued."""
        data = validated_input(EmailCertificateSerializer, request.data)
        export_format = actions.email_certificate(self.get_object(), actor=request.user, **data)
        return Response({**data, "format": export_format}, status=202)


class CertificateViewSet(
    FilteredApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The repository (spec P4). Filter: `?status=`, `?expiry=`, `?name=`. DELETE is local only."""

    queryset = Certificate.objects.select_related("current_version")
    serializer_class = CertificateSerializer
    filter_form_class = CertificateFilterForm
    action_permissions = {
        "versions": ["acme_orders.view_certificate"],
        "export": ["acme_orders.export_certificate"],
        "renew": ["acme_orders.renew_certificate", "acme_orders.add_certificaterequest"],
        "revoke": ["acme_orders.revoke_certificate"],
        "partial_update": ["acme_orders.renew_certificate"],
        "retry_renewal": ["acme_orders.renew_certificate"],
    }

    def perform_destroy(self, instance):
        actions.delete_certificate(instance, actor=self.request.user)

    @extend_schema(request=None, responses=CertificateRequestSerializer)
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        renewal = actions.renew_certificate(self.get_object(), actor=request.user)
        return Response(CertificateRequestSerializer(renewal).data, status=201)

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke at the CA with `reason` (spec X1); answers once the CA has."""
        data = validated_input(RevokeSerializer, request.data)
        revoked = actions.revoke_certificate(
            self.get_object(), reason=data["reason"], actor=request.user
        )
        return Response(self.get_serializer(revoked).data)

    @extend_schema(request=AutoRenewSerializer, responses=CertificateSerializer)
    def partial_update(self, request, pk=None):
        """PATCH {auto_renew}: the automatic renewal switch (spec N5)."""
        data = validated_input(AutoRenewSerializer, request.data)
        changed = actions.set_auto_renew(
            self.get_object(), enabled=data["auto_renew"], actor=request.user
        )
        return Response(self.get_serializer(changed).data)

    @extend_schema(request=None, responses=CertificateSerializer)
    @action(detail=True, methods=["post"], url_path="retry-renewal")
    def retry_renewal(self, request, pk=None):
        """Retry now (spec N3): the next automatic attempt is due at once."""
        retried = actions.retry_renewal(self.get_object(), actor=request.user)
        return Response(self.get_serializer(retried).data)

    @extend_schema(responses=CertificateVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        """Every version, newest first (spec N2); export one with .../export/?version=id."""
        versions = self.get_object().versions.order_by("-created_at", "-id")
        return Response(CertificateVersionSerializer(versions, many=True).data)

    @extend_schema(parameters=[ExportQuerySerializer], responses={200: bytes})
    @action(detail=True, methods=["get"], content_negotiation_class=FileExportNegotiation)
    def export(self, request, pk=None):
        certificate = self.get_object()
        query = validated_input(ExportQuerySerializer, request.query_params)
        version = None
        if "version" in query:
            version = CertificateVersion.objects.filter(
                pk=query["version"], certificate=certificate
            ).first()
            if version is None:
                raise Http404("No such version of this certificate.")
        exported = actions.certificate_export_file(
            certificate,
            version=version,
            actor=request.user,
            export_format=query["format"],
            include_key=query["include_key"],
            # A header, never the URL: URLs end up in logs.
            password=request.headers.get("X-Keystore-Password", ""),
        )
        return _file_response(exported)
