"""Helpers of the renewal tests."""

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from acme_orders.actions import save_to_repository
from acme_orders.models import Certificate
from tests.factories import make_issued_request


def saved_certificate(account, *, dns_account=None, domains=None, **certificate_fields):
    """A certificate saved from an issued request; DNS-01 with `dns_account`, or manual
    HTTP-01 without."""
    request = make_issued_request(account, domains=domains or ["www.example.com"])
    if dns_account is not None:
        request.challenge_type, request.dns_account = "dns-01", dns_account
        request.save()
    certificate = save_to_repository(request, actor=None)
    if certificate_fields:
        Certificate.objects.filter(pk=certificate.pk).update(**certificate_fields)
        certificate.refresh_from_db()
    return certificate


def pebble_like_certificate() -> str:
    """A self-signed certificate with an Authority Key Identifier, as a CA's has."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example.com")])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
