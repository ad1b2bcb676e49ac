from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import actions
from accounts.forms import AccountFilterForm
from accounts.models import AcmeAccount
from accounts.serializers import (
    AcmeAccountSerializer,
    ImportAccountSerializer,
    RegisterAccountSerializer,
    UpdateEmailSerializer,
)
from certlife.api import validated_input
from certlife.query import FilteredApiView


class AcmeAccountViewSet(
    FilteredApiView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """ACME accounts (docs/features.md A1-A7). Administrators act; operators and auditors read.
    List filters: `?status=valid|deactivated`, `?name=` (part of the name)."""

    queryset = AcmeAccount.objects.all()
    serializer_class = AcmeAccountSerializer
    filter_form_class = AccountFilterForm
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        "import_existing": ["accounts.add_acmeaccount"],
        "key": ["accounts.export_account_key"],
        "deactivate": ["accounts.deactivate_account"],
    }

    def _answer(self, account, code=status.HTTP_200_OK) -> Response:
        return Response(AcmeAccountSerializer(account).data, status=code)

    @extend_schema(request=RegisterAccountSerializer, responses={201: AcmeAccountSerializer})
    def create(self, request):
        """Register a new account at the CA (A1)."""
        data = validated_input(RegisterAccountSerializer, request.data)
        account = actions.register_account(actor=request.user, **data)
        return self._answer(account, status.HTTP_201_CREATED)

    @extend_schema(request=UpdateEmailSerializer, responses=AcmeAccountSerializer)
    def partial_update(self, request, pk=None):
        """Update the account's email, at the CA too (A2)."""
        data = validated_input(UpdateEmailSerializer, request.data)
        account = actions.update_account_email(self.get_object(), actor=request.user, **data)
        return self._answer(account)

    def destroy(self, request, pk=None):
        """Remove the account from certlife only; it stays active at the CA (A3)."""
        actions.delete_account(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ImportAccountSerializer, responses={201: AcmeAccountSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_existing(self, request):
        """Add an existing account by its key (A5)."""
        data = validated_input(ImportAccountSerializer, request.data)
        account = actions.import_account(actor=request.user, **data)
        return self._answer(account, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/x-pem-file"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def key(self, request, pk=None):
        """The account key as PEM (A4); every export is audited."""
        account = self.get_object()
        pem = actions.export_account_key(account, actor=request.user)
        return key_download(account, pem)

    @extend_schema(request=None, responses=AcmeAccountSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Deactivate the account at the CA, for ever (A6)."""
        account = actions.deactivate_account(self.get_object(), actor=request.user)
        return self._answer(account)


def key_download(account: AcmeAccount, pem: str) -> HttpResponse:
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="acme-account-{account.pk}.key.pem"'
    response["Cache-Control"] = "no-store"
    return response
