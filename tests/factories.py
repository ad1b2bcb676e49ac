"""Real certificates, keys, accounts and requests for tests, made with `cryptography`
and the models (no CA involved)."""

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from accounts.models import AcmeAccount
from acme_orders.certificate_files import describe_certificate
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion


def make_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def make_certificate_pem(domains: list[str], key_pem: str, *, days_left: float) -> str:
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Issuer R1")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days_left - 90))
        .not_valid_after(now + timedelta(days=days_left))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def make_repository_certificate(
    domains: list[str], *, days_left: float = 60, status: str = "active", key_pem: str = ""
) -> Certificate:
    """A certificate saved in the repository with one version."""
    key_pem = key_pem or make_key_pem()
    certificate_pem = make_certificate_pem(domains, key_pem, days_left=days_left)
    facts = describe_certificate(certificate_pem)
    certificate = Certificate.objects.create(
        common_name=facts.common_name, domains=facts.domains, status=status
    )
    version = CertificateVersion.from_pem(
        certificate=certificate,
        certificate_pem=certificate_pem,
        chain_pem="",
        private_key_pem=key_pem,
        created_by=None,
        created_by_name="test",
    )
    version.save()
    certificate.current_version = version
    certificate.save(update_fields=["current_version"])
    return certificate


def make_acme_account(
    *, name: str = "Test CA", status: str = "valid", directory: str = "ca.example.net"
) -> AcmeAccount:
    """An ACME account as if registered (nothing is asked of a CA)."""
    return AcmeAccount.objects.create(
        name=name,
        email="ops@example.com",
        directory_url=f"https://{directory}/directory",
        key_pem=make_key_pem(),
        account_url=f"https://{directory}/acct/1",
        status=status,
    )


def make_issued_request(
    account: AcmeAccount,
    *,
    domains: list[str] | None = None,
    keystore_type: str = "PEM",
    keystore_password: str = "store-pass-9",  # noqa: S107 (a test keystore's password)
) -> CertificateRequest:
    """A request whose certificate is issued and Available (not yet saved)."""
    domains = domains or ["mail.example.com"]
    key_pem = make_key_pem()
    return CertificateRequest.objects.create(
        account=account,
        domains=domains,
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type=keystore_type,
        keystore_password=keystore_password,
        private_key_pem=key_pem,
        certificate_pem=make_certificate_pem(domains, key_pem, days_left=80),
        status="available",
    )


def make_failed_deployment(certificate: Certificate):
    """A failed deployment of the certificate's version to a Linux mapping (a documentation
    address: a retry sent to a worker would reach nothing)."""
    from agents.models import AgentMapping, Deployment

    mapping = AgentMapping.objects.create(
        kind="linux",
        domain=certificate.domains[0],
        deploy=True,
        host="192.0.2.10",
        username="deploy",
        password="not-used-9",  # noqa: S106 (a test mapping's password)
        key_path="/etc/ssl/private/site.key",
        fullchain_path="/etc/ssl/certs/site.pem",
    )
    return Deployment.objects.create(
        certificate=certificate,
        version=certificate.current_version,
        mapping=mapping,
        host=mapping.host,
        status="failed",
        error="The reload failed (exit status 1).",
        requested_by_name="scheduler",
    )
