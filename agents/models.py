import json

from django.conf import settings
from django.db import models

from agents.choices import DeploymentStatus, MappingKind
from agents.domains import patterns_covering
from certlife.encryption import EncryptedTextField
from dns_providers.models import DnsAccount


class Agent(models.Model):
    """A pull agent (docs/features.md V4): a program on an end server that polls certlife
    with its own token. Only a hash of the token is stored; `token_prefix` (the first
    characters, not secret on their own) finds the row and tells tokens apart."""

    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=128)
    token_prefix = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class AgentMappingQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(enabled=True)

    def covering(self, name: str):
        """Mappings whose domain covers `name` (exact first, then `*.parent`)."""
        return self.filter(domain__in=patterns_covering(name))


class AgentMapping(models.Model):
    """How one domain reaches its end server (docs/features.md V3-V7, V11): a Linux server
    over SSH, a pull agent, or a DNS provider with its own credentials. `domain` is an
    exact name or `*.example.com` (one level); several mappings may cover one name (a
    load-balanced site), each deploying on its own when `deploy` is set.

    Only the fields of the mapping's kind are used. The SSH host key is pinned in
    `host_key_fingerprint` ("SHA256:..." as OpenSSH prints it) once a person confirms
    it; until then the key the server showed waits in `seen_host_key_fingerprint` and
    certlife refuses to connect."""

    kind = models.CharField(max_length=10, choices=MappingKind.choices)
    domain = models.CharField(max_length=255, db_index=True)
    deploy = models.BooleanField(default=False, help_text="Deploy the certificate here.")
    enabled = models.BooleanField(default=True)

    # Linux (SSH)
    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=22)
    username = models.CharField(max_length=100, blank=True)
    password = EncryptedTextField(blank=True, default="")
    private_key = EncryptedTextField(blank=True, default="")
    host_key_fingerprint = models.CharField(max_length=100, blank=True)
    seen_host_key_fingerprint = models.CharField(max_length=100, blank=True)
    web_root = models.CharField(max_length=500, blank=True)
    certificate_path = models.CharField(max_length=500, blank=True)
    chain_path = models.CharField(max_length=500, blank=True)
    fullchain_path = models.CharField(max_length=500, blank=True)
    key_path = models.CharField(max_length=500, blank=True)
    owner = models.CharField(max_length=100, blank=True, help_text="user or user:group")
    file_mode = models.CharField(max_length=4, default="0644")
    key_mode = models.CharField(max_length=4, default="0600")
    test_command = models.CharField(max_length=1000, blank=True)
    reload_command = models.CharField(max_length=1000, blank=True)
    tls_host = models.CharField(max_length=255, blank=True, help_text="Default: the SSH host.")
    tls_port = models.PositiveIntegerField(default=443)

    # Pull agent (Windows, or a Linux server that cannot be reached inbound)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="mappings"
    )
    install_to_iis = models.BooleanField(default=False)
    site = models.CharField(max_length=200, blank=True, help_text="IIS site name.")

    # DNS provider of this domain (V5): a provider code and its fields as JSON,
    # encrypted, validated like a DNS account's (dns_providers.providers.fields).
    dns_provider = models.CharField(max_length=50, blank=True)
    dns_credentials = EncryptedTextField(default="{}")

    # What went wrong the last time certlife reached the server (shown on the mapping).
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgentMappingQuerySet.as_manager()

    class Meta:
        ordering = ["domain", "kind", "id"]
        verbose_name = "agent mapping"

    def __str__(self):
        target = {
            MappingKind.LINUX: self.host,
            MappingKind.WINDOWS: str(self.agent or "no agent"),
            MappingKind.DNS: self.dns_provider,
        }.get(self.kind, "")
        return f"{self.domain} -> {self.get_kind_display()} {target}".rstrip()

    @property
    def served_host(self) -> str:
        """Where the TLS check connects: tls_host, else the SSH host."""
        return self.tls_host or self.host

    def dns_credential_values(self) -> dict[str, str]:
        return json.loads(self.dns_credentials or "{}")

    def dns_account(self) -> DnsAccount:
        """An unsaved DNS account with this mapping's provider and credentials, for the
        DNS-01 facade (dns_providers.dns01); it never appears under Manage >> DNS."""
        return DnsAccount(
            provider=self.dns_provider,
            name=f"mapping for {self.domain}",
            credentials=self.dns_credentials or "{}",
        )

    def masked_dns_credentials(self) -> dict[str, str]:
        """The DNS credentials as they may be shown: secrets masked."""
        return self.dns_account().masked_credentials() if self.dns_provider else {}

    @property
    def host_key_state(self) -> str:
        """ "pinned", "seen" (waiting to be trusted) or "unknown"; Linux mappings only."""
        if self.host_key_fingerprint:
            return "pinned"
        return "seen" if self.seen_host_key_fingerprint else "unknown"

    def secret_values(self) -> list[str]:
        """Secrets to cut out of error messages and command output."""
        values = [self.password, self.private_key]
        if self.kind == MappingKind.DNS:
            values += self.dns_account().secret_values()
        return [value for value in values if value]


class Deployment(models.Model):
    """One certificate version sent to one end server, and what came of it
    (docs/features.md V6, V11). Deployments over SSH and installs by a pull agent share
    it: `host` is where it went, `output` what the server's commands printed (bounded,
    secrets removed), `error` the plain reason of a failure. A failed or rolled-back one
    can be retried: the same row is run again and `attempts` counts the runs."""

    certificate = models.ForeignKey(
        "acme_orders.Certificate", on_delete=models.CASCADE, related_name="deployments"
    )
    version = models.ForeignKey(
        "acme_orders.CertificateVersion", on_delete=models.CASCADE, related_name="deployments"
    )
    mapping = models.ForeignKey(
        AgentMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    host = models.CharField(max_length=255, help_text="The end server, as the mapping named it.")
    status = models.CharField(
        max_length=12,
        choices=DeploymentStatus.choices,
        default=DeploymentStatus.PENDING,
        db_index=True,
    )
    served_serial = models.CharField(
        max_length=64, blank=True, help_text="The serial the server presented after the deploy."
    )
    output = models.TextField(blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_by_name = models.CharField(
        max_length=150, help_text="Who saved or retried: a user name, or 'scheduler'."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.certificate} to {self.host}"


class AgentJobKind(models.TextChoices):
    """What a pull agent is asked to do (docs/features.md V4)."""

    PUBLISH_HTTP01 = "publish-http01", "Publish an HTTP-01 token"
    REMOVE_HTTP01 = "remove-http01", "Remove an HTTP-01 token"
    INSTALL_CERTIFICATE = "install-certificate", "Install a certificate"


class AgentJobStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the agent"
    SENT = "sent", "Sent to the agent"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


class AgentJob(models.Model):
    """One piece of work waiting for a pull agent, and what the agent reported. HTTP-01
    jobs carry the token and key authorization (public once published, so not secret);
    an install job names its deployment and the certificate is read from it only when
    the agent fetches the job (agents/agent_jobs.py)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=AgentJobKind.choices)
    status = models.CharField(
        max_length=10, choices=AgentJobStatus.choices, default=AgentJobStatus.PENDING
    )
    domain = models.CharField(max_length=255)
    web_root = models.CharField(max_length=500, blank=True)
    token = models.CharField(max_length=255, blank=True)
    content = models.CharField(max_length=512, blank=True)
    install_to_iis = models.BooleanField(default=False)
    site = models.CharField(max_length=200, blank=True)
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.CASCADE, related_name="agent_jobs"
    )
    output = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.domain} on {self.agent}"
