from django.db import models


class CertificateStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


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
