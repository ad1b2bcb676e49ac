from django.db import models

from certlife.private_keys import OFFERED_KEY_SHAPES, KeyShape


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class RenewalSource(models.TextChoices):
    """Why a certificate renews when it does (spec N3, N6)."""

    ARI = "ari", "The CA's renewal window (ARI)"
    LIFETIME = "lifetime", "A fraction of the lifetime"
    SETTING = "setting", "CERTLIFE_RENEW_AFTER_DAYS"


class RevocationReason(models.TextChoices):
    """RFC 5280 reason codes offered for revocation (spec X1); the value is the API's."""

    UNSPECIFIED = "unspecified", "Unspecified"
    KEY_COMPROMISE = "keyCompromise", "Key compromise"
    SUPERSEDED = "superseded", "Superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation", "Cessation of operation"


REVOCATION_REASON_CODES: dict[str, int] = {
    RevocationReason.UNSPECIFIED: 0,
    RevocationReason.KEY_COMPROMISE: 1,
    RevocationReason.SUPERSEDED: 4,
    RevocationReason.CESSATION_OF_OPERATION: 5,
}


class ExpiryBand(models.TextChoices):
    """How soon a certificate expires, as the dashboard and the list group them."""

    EXPIRED = "expired", "Expired"
    WITHIN_7_DAYS = "7", "Within 7 days"
    WITHIN_15_DAYS = "15", "Within 15 days"
    WITHIN_30_DAYS = "30", "Within 30 days"
    LATER = "later", "In more than 30 days"


class RequestStatus(models.TextChoices):
    """The states of the API contract; `pending` covers waiting for a person or for
    automated challenges to be published."""

    PENDING = "pending", "Pending"
    VALIDATING = "validating", "Validating"
    ISSUING = "issuing", "Issuing"
    AVAILABLE = "available", "Available"
    FAILED = "failed", "Failed"
    SAVED = "saved", "Saved"


class ChallengeType(models.TextChoices):
    HTTP_01 = "http-01", "HTTP-01"
    DNS_01 = "dns-01", "DNS-01"


class KeyAlgorithm(models.TextChoices):
    RSA = "RSA", "RSA"
    EC = "EC", "EC"


class SignatureAlgorithm(models.TextChoices):
    SHA256_RSA = "SHA256withRSA", "SHA-256 with RSA"
    SHA384_RSA = "SHA384withRSA", "SHA-384 with RSA"
    SHA512_RSA = "SHA512withRSA", "SHA-512 with RSA"
    SHA256_ECDSA = "SHA256withECDSA", "ECDSA with SHA-256"
    SHA384_ECDSA = "SHA384withECDSA", "ECDSA with SHA-384"


# The key and signature menu: the form, the API, the command line and
# acme_orders.keys.check_key_choice all offer and accept exactly these. The key shapes
# come from certlife.private_keys.OFFERED_KEY_SHAPES; the first signature of an
# algorithm is its default.
SIGNATURES_FOR_KEY: dict[str, tuple[str, ...]] = {
    KeyAlgorithm.RSA: (
        SignatureAlgorithm.SHA256_RSA,
        SignatureAlgorithm.SHA384_RSA,
        SignatureAlgorithm.SHA512_RSA,
    ),
    KeyAlgorithm.EC: (SignatureAlgorithm.SHA256_ECDSA, SignatureAlgorithm.SHA384_ECDSA),
}
KEY_SIZES_FOR_KEY: dict[str, tuple[int, ...]] = {
    algorithm: tuple(shape.size for shape in OFFERED_KEY_SHAPES if shape.algorithm == algorithm)
    for algorithm in KeyAlgorithm.values
}
# The command line's names for the key shapes: "RSA-2048", "EC-256", ...
KEY_SHAPES_BY_NAME: dict[str, KeyShape] = {
    f"{shape.algorithm}-{shape.size}": shape for shape in OFFERED_KEY_SHAPES
}


# Which key algorithm each size and signature goes with (sizes differ between algorithms).
KEY_ALGORITHM_OF_SIZE: dict[int, str] = {
    size: algorithm for algorithm, sizes in KEY_SIZES_FOR_KEY.items() for size in sizes
}
KEY_ALGORITHM_OF_SIGNATURE: dict[str, str] = {
    signature: algorithm
    for algorithm, signatures in SIGNATURES_FOR_KEY.items()
    for signature in signatures
}


class KeystoreType(models.TextChoices):
    PEM = "PEM", "PEM"
    PKCS12 = "PKCS12", "PKCS#12"
    JKS = "JKS", "JKS"


class KeyPolicy(models.TextChoices):
    NEW = "new", "New key each renewal"
    SAME = "same", "Same key"
    IMPORT = "import", "Imported key"


class Solver(models.TextChoices):
    """How a name's challenge is published (spec V7 order: agent, DNS account, built-in, manual)."""

    NONE = "none", "Already valid"
    MANUAL = "manual", "Manual"
    BUILTIN_HTTP = "builtin-http", "Built-in HTTP-01 responder"
    DNS = "dns", "DNS account"
    SSH = "ssh", "Agent mapping: SSH"
    DNS_MAPPING = "dns-mapping", "Agent mapping: DNS provider"
    AGENT = "agent", "Agent mapping: pull agent"


class ChallengeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    DEACTIVATED = "deactivated", "Deactivated"


class ExportFormat(models.TextChoices):
    PEM = "pem", "PEM certificate"
    PEM_BUNDLE = "pem-bundle", "PEM bundle with chain"
    PKCS12 = "pkcs12", "PKCS#12"
    JKS = "jks", "JKS"
