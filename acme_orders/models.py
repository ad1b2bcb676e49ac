import base64
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from acme_orders.certificate_files import describe_certificate
from acme_orders.choices import (
    CertificateStatus,
    ChallengeStatus,
    ChallengeType,
    KeyAlgorithm,
    KeyPolicy,
    KeystoreType,
    RenewalSource,
    RequestStatus,
    RevocationReason,
    SignatureAlgorithm,
    Solver,
)
from certlife.encryption import EncryptedTextField
from dns_providers.models import DnsAccount


class Certificate(models.Model):
    """A certificate in the repository (Certificates >> Certificates, spec P4).

    Its names and status live here; each issuance or renewal adds a
    CertificateVersion, and `current_version` is the one in use.
    """

    common_name = models.CharField(max_length=253, db_index=True)
    domains = models.JSONField(default=list, help_text="Every name, common name first.")
    status = models.CharField(
        max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.ACTIVE
    )
    current_version = models.ForeignKey(
        "CertificateVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The current version's not_after, kept on the row (by save()) so expiry bands,
    # filters, the dashboard and the sweeps read one indexed table (docs/performance.md).
    expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the current version expires."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Revocation (spec X1).
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(
        max_length=24, choices=RevocationReason.choices, blank=True
    )

    # Renewal (spec N3-N6). The schedule lives here so a restart never resets it;
    # the sweep selects rows with renewal_due_at <= now in one indexed query.
    auto_renew = models.BooleanField(
        default=True, help_text="Renew with nobody acting and save the new version at once."
    )
    renewal_due_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the next renewal attempt is due."
    )
    renewal_source = models.CharField(max_length=10, choices=RenewalSource.choices, blank=True)
    renewal_window_start = models.DateTimeField(null=True, blank=True)
    renewal_window_end = models.DateTimeField(null=True, blank=True)
    renewal_explanation_url = models.URLField(max_length=500, blank=True)
    ari_checked_at = models.DateTimeField(null=True, blank=True)
    ari_next_check_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When to ask the CA's renewalInfo again."
    )
    renewal_last_attempt_at = models.DateTimeField(null=True, blank=True)
    renewal_next_attempt_at = models.DateTimeField(null=True, blank=True)
    renewal_failures = models.PositiveSmallIntegerField(
        default=0,
        help_text="Automatic attempts in a row that failed (backoff 1/10/100 min, daily).",
    )
    renewal_last_error = models.TextField(blank=True)
    renewal_claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A scheduler working on a renewal holds it until then."
    )
    renewal_blocker = models.TextField(
        blank=True,
        help_text="Why it cannot renew with nobody acting (a name with no automated path).",
    )
    last_alert_at = models.DateTimeField(
        null=True, blank=True, help_text="When an expiry or renewal-failure alert last went out."
    )

    class Meta:
        ordering = ["common_name", "id"]
        indexes = [
            # The list's order, alone and under its status filter (bench/scale.py).
            models.Index(fields=["common_name", "id"], name="certificate_list_order"),
            models.Index(fields=["status", "common_name", "id"], name="certificate_status_order"),
            # Expiry bands, the dashboard's chart and the sweeps: a range under a status.
            models.Index(fields=["status", "expires_at", "id"], name="certificate_status_expiry"),
            # The dashboard's counts by status: a small (deduplicated) index-only scan.
            models.Index(fields=["status"], name="certificate_status_count"),
            # "Needs attention" (acme_orders.repository.needs_attention_filter): the
            # flagged rows, besides those expiring soon that the index above finds.
            models.Index(
                fields=["expires_at", "id"],
                name="certificate_attention",
                condition=models.Q(status="active")
                & (
                    models.Q(renewal_failures__gt=0)
                    | ~models.Q(renewal_blocker="")
                    | models.Q(last_alert_at__isnull=False)
                ),
            ),
        ]
        permissions = [
            ("export_certificate", "Can export a certificate (without its private key)"),
            ("export_private_key", "Can export a certificate's private key"),
            ("renew_certificate", "Can renew a certificate"),
            ("revoke_certificate", "Can revoke a certificate"),
        ]

    def __str__(self):
        return self.common_name

    def save(self, *args, **kwargs):
        """Copy the current version's expiry onto the row whenever the version is saved
        with it. (A queryset .update(current_version=...) must set expires_at itself.)"""
        if self.current_version_id is None:
            self.expires_at = None
        elif Certificate.current_version.is_cached(self):  # type: ignore[attr-defined]
            self.expires_at = self.current_version.not_after  # type: ignore[union-attr]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "current_version" in update_fields:
            kwargs["update_fields"] = {*update_fields, "expires_at"}
        super().save(*args, **kwargs)

    @property
    def days_left(self) -> int | None:
        if self.current_version is None:
            return None
        return (self.current_version.not_after - timezone.now()).days


class CertificateVersion(models.Model):
    """One issued certificate: the PEMs, the encrypted private key, and who or what
    (a person or the scheduler) brought it in (spec N2)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="versions")
    serial_number = models.CharField(max_length=64, help_text="Hexadecimal, lower case.")
    issuer = models.CharField(max_length=255)
    key_type = models.CharField(max_length=32, help_text='For example "RSA 2048" or "EC P-256".')
    not_before = models.DateTimeField()
    not_after = models.DateTimeField(db_index=True)
    certificate_pem = models.TextField()
    chain_pem = models.TextField(blank=True, help_text="Intermediates, leaf excluded.")
    private_key_pem = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by_name = models.CharField(
        max_length=150, help_text="The user's name, or 'scheduler' for automatic renewals."
    )
    key_fingerprint = models.CharField(
        max_length=95, blank=True, help_text="SHA-256 of the public key (SubjectPublicKeyInfo)."
    )
    account = models.ForeignKey(
        "accounts.AcmeAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The ACME account that was issued this version (ARI 'replaces' needs it).",
    )
    directory_url = models.URLField(
        max_length=500, blank=True, help_text="The CA directory that issued this version."
    )

    class Meta:
        ordering = ["-not_after", "-id"]

    def __str__(self):
        return f"{self.certificate} serial {self.serial_number}"

    @classmethod
    def from_pem(
        cls,
        *,
        certificate,
        certificate_pem,
        chain_pem,
        private_key_pem,
        created_by,
        created_by_name,
    ):
        """An unsaved version whose serial, issuer, key type, key fingerprint and validity
        are read from the certificate itself."""
        facts = describe_certificate(certificate_pem)
        return cls(
            certificate=certificate,
            serial_number=facts.serial_number,
            issuer=facts.issuer,
            key_type=facts.key_type,
            key_fingerprint=facts.key_fingerprint,
            not_before=facts.not_before,
            not_after=facts.not_after,
            certificate_pem=certificate_pem,
            chain_pem=chain_pem,
            private_key_pem=private_key_pem,
            created_by=created_by,
            created_by_name=created_by_name,
        )


class CertificateRequest(models.Model):
    """A request for one certificate and the ACME order that fulfils it.

    The Celery pipeline advances it one resumable step at a time: everything needed to
    resume (order URL, authorization and challenge URLs, the key) is stored before the
    network call that needs it. `lease_until` keeps a second worker off it meanwhile.
    """

    account = models.ForeignKey(
        "accounts.AcmeAccount", on_delete=models.PROTECT, related_name="certificate_requests"
    )
    domains = models.JSONField(default=list, help_text="A-labels, common name first.")
    challenge_type = models.CharField(max_length=10, choices=ChallengeType.choices)
    key_algorithm = models.CharField(max_length=5, choices=KeyAlgorithm.choices)
    key_size = models.PositiveIntegerField(help_text="RSA bits, or 256 / 384 for EC P-256 / P-384.")
    signature_algorithm = models.CharField(max_length=20, choices=SignatureAlgorithm.choices)
    keystore_type = models.CharField(max_length=10, choices=KeystoreType.choices)
    keystore_password = EncryptedTextField(blank=True)
    key_policy = models.CharField(max_length=10, choices=KeyPolicy.choices, default=KeyPolicy.NEW)
    imported_key_pem = EncryptedTextField(blank=True)
    private_key_pem = EncryptedTextField(blank=True, help_text="The key of the current order.")
    csr_pem = models.TextField(blank=True)
    dns_account = models.ForeignKey(
        "dns_providers.DnsAccount", null=True, blank=True, on_delete=models.SET_NULL
    )
    use_builtin_http_responder = models.BooleanField(
        default=False, help_text="certlife answers /.well-known/acme-challenge/ itself."
    )
    profile = models.CharField(max_length=50, blank=True)
    replaces = models.CharField(
        max_length=200, blank=True, help_text="ARI CertID of the certificate this order replaces."
    )
    automatic = models.BooleanField(
        default=False, help_text="Started by the renewal scheduler; saved at once when issued."
    )
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    verify_requested = models.BooleanField(
        default=False, help_text="Validation was asked for (Verify, or every name automated)."
    )
    order_url = models.URLField(max_length=500, blank=True)
    order_requested_at = models.DateTimeField(null=True, blank=True)
    certificate_pem = models.TextField(blank=True)
    chain_pem = models.TextField(blank=True)
    certificate = models.ForeignKey(
        Certificate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
        help_text="The repository certificate this request saves into.",
    )
    deadline_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_step_at = models.DateTimeField(
        null=True, blank=True, help_text="When the scheduled next step is due."
    )
    interrupted_steps = models.PositiveSmallIntegerField(
        default=0,
        help_text="Attempts in a row at the current step that did not finish (an unexpected "
        "error, or a worker that stopped); back to 0 when a step finishes.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The API's order (read backwards), and the pending page's: every request
            # but the saved ones, which are nearly all of them (bench/scale.py).
            models.Index(fields=["created_at", "id"], name="request_list_order"),
            models.Index(
                fields=["created_at", "id"],
                condition=~models.Q(status=RequestStatus.SAVED),
                name="request_open_order",
            ),
        ]

    def __str__(self):
        return f"{self.domains[0] if self.domains else '?'} ({self.get_status_display()})"

    @property
    def common_name(self) -> str:
        return self.domains[0] if self.domains else ""

    @property
    def key_description(self) -> str:
        if self.key_algorithm == KeyAlgorithm.EC:
            return f"EC P-{self.key_size}"
        return f"RSA {self.key_size}"

    def secret_values(self) -> list[str]:
        """Every secret a step of this request may hold, to cut out of error messages
        and logs: its keys and keystore password, the ACME account key, and the
        credentials of every DNS account (a DNS-01 step may try any of them)."""
        own = [self.private_key_pem, self.imported_key_pem, self.keystore_password]
        dns_secrets = [value for dns in DnsAccount.objects.all() for value in dns.secret_values()]
        return [value for value in [*own, self.account.key_pem, *dns_secrets] if value]


class Challenge(models.Model):
    """One name's authorization in the current order and the challenge we answer."""

    request = models.ForeignKey(
        CertificateRequest, on_delete=models.CASCADE, related_name="challenges"
    )
    domain = models.CharField(max_length=255, help_text="As requested; wildcards keep '*.'.")
    type = models.CharField(max_length=10, choices=ChallengeType.choices)
    authorization_url = models.URLField(max_length=500)
    challenge_url = models.URLField(max_length=500, blank=True)
    token = models.CharField(max_length=255, blank=True, db_index=True)
    key_authorization = models.TextField(
        blank=True, help_text="What the CA expects; public by design (it is published)."
    )
    status = models.CharField(
        max_length=12, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING
    )
    solver = models.CharField(max_length=20, choices=Solver.choices, default=Solver.MANUAL)
    presented = models.BooleanField(default=False)
    presented_at = models.DateTimeField(null=True, blank=True)
    # Where a DNS solver wrote the TXT record (after CNAMEs) and with which account, so
    # cleanup removes exactly that, even if the request's DNS account changes.
    published_record_name = models.CharField(max_length=255, blank=True)
    published_with = models.ForeignKey(
        "dns_providers.DnsAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The agent mapping an agent solver ("ssh", "dns-mapping", "agent") uses for the name.
    agent_mapping = models.ForeignKey(
        "agents.AgentMapping",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cleaned_up = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} for {self.domain}"

    @property
    def base_domain(self) -> str:
        return self.domain.removeprefix("*.")

    @property
    def http_path(self) -> str:
        if self.type != ChallengeType.HTTP_01 or not self.token:
            return ""
        return f"/.well-known/acme-challenge/{self.token}"

    @property
    def http_content(self) -> str:
        return self.key_authorization if self.type == ChallengeType.HTTP_01 else ""

    @property
    def txt_name(self) -> str:
        return f"_acme-challenge.{self.base_domain}" if self.type == ChallengeType.DNS_01 else ""

    @property
    def txt_value(self) -> str:
        if self.type != ChallengeType.DNS_01 or not self.key_authorization:
            return ""
        digest = hashlib.sha256(self.key_authorization.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
