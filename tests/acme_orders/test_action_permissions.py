"""The permission checks the actions make themselves, called directly (not through a
view or the API, whose own checks could hide a missing one): an operator may export a
certificate, but its private key only with the export_private_key permission."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from acme_orders import actions
from acme_orders.models import CertificateRequest
from certlife.models import AuditEvent
from tests.factories import make_acme_account, make_key_pem, make_repository_certificate

pytestmark = pytest.mark.django_db

KEY_MARKER = b"PRIVATE KEY"


@pytest.fixture
def certificate():
    return make_repository_certificate(["perm.example.com"], key_pem=make_key_pem())


@pytest.fixture
def available_request(certificate):

    version = certificate.current_version
    account = make_acme_account(name="CA")
    return CertificateRequest.objects.create(
        account=account,
        domains=["perm.example.com"],
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        status="available",
        certificate_pem=version.certificate_pem,
        private_key_pem=version.private_key_pem,
    )


def export_of_certificate(certificate, _request, actor, include_key):
    return actions.certificate_export_file(
        certificate, actor=actor, export_format="pem", include_key=include_key, password=""
    )


def export_of_request(_certificate, request, actor, include_key):
    return actions.request_export_file(
        request, actor=actor, export_format="pem", include_key=include_key, password=""
    )


def export_of_files(certificate, _request, actor, include_key):
    version = certificate.current_version
    return actions.export_certificate_files(
        actor=actor,
        name="perm.example.com",
        certificate_pem=version.certificate_pem,
        chain_pem="",
        private_key_pem=version.private_key_pem,
        export_format="pem",
        include_key=include_key,
        password="",
        target=certificate,
    )


EXPORTS = [export_of_certificate, export_of_request, export_of_files]


@pytest.mark.parametrize("export", EXPORTS)
def test_an_operator_exports_the_certificate_but_not_its_key(
    export, certificate, available_request, operator
):
    exported = export(certificate, available_request, operator, False)
    assert b"BEGIN CERTIFICATE" in exported.content and KEY_MARKER not in exported.content

    with pytest.raises(PermissionDenied):
        export(certificate, available_request, operator, True)
    denied = AuditEvent.objects.filter(action="certificate.export", outcome="denied")
    # The refusal names who would have received the key (spec S2: who, what, outcome).
    assert [(event.actor, event.detail) for event in denied] == [
        (operator, {"format": "pem", "recipient": operator.username, "include_key": True})
    ]


@pytest.mark.parametrize("export", EXPORTS)
def test_the_key_is_exported_with_the_permission_granted(
    export, certificate, available_request, operator
):
    operator.user_permissions.add(Permission.objects.get(codename="export_private_key"))
    operator = type(operator).objects.get(pk=operator.pk)  # a fresh permission cache
    exported = export(certificate, available_request, operator, True)
    assert KEY_MARKER in exported.content
    event = AuditEvent.objects.get(action="certificate.export")
    assert (event.actor, event.outcome, event.detail["include_key"]) == (operator, "success", True)
