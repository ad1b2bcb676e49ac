import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from certlife.encryption import EncryptedTextField
from dns_providers.choices import ConnectionTestStatus
from dns_providers.providers import PROVIDERS, DnsProvider

# A provider's test() is a few requests with time-outs and retries; one still running
# after this lost its worker, or no worker ever took it.
CONNECTION_TEST_TIMEOUT = timedelta(minutes=2)
UNFINISHED_TEST_MESSAGE = (
    "The test did not finish within 2 minutes; the worker may be down. Check that the "
    "worker runs (the dashboard shows it), then test again."
)


@dataclass(frozen=True)
class ConnectionTest:
    """The last "Test connection" as the page and the API show it."""

    status: str
    message: str
    tested_at: datetime | None

    @property
    def label(self) -> str:
        return ConnectionTestStatus(self.status).label


class DnsAccountQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(enabled=True)

    def with_unfinished_connection_test(self):
        """Accounts whose test has been running for longer than it can take."""
        started_before = timezone.now() - CONNECTION_TEST_TIMEOUT
        return self.filter(
            Q(last_tested_at__lt=started_before) | Q(last_tested_at__isnull=True),
            last_test_status=ConnectionTestStatus.RUNNING,
        )


class DnsAccount(models.Model):
    """The credentials of one DNS provider (docs/features.md D1): at most one account per provider,
    used only while enabled. `provider` is a code of the provider registry, kept as a
    plain string so a new provider needs no migration; `credentials` is the provider's
    fields as JSON, encrypted at rest. The last "Test connection" is recorded on the row
    because the test runs in a worker (dns_providers.tasks)."""

    provider = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    credentials = EncryptedTextField(default="{}")
    last_test_status = models.CharField(
        max_length=16,
        choices=ConnectionTestStatus.choices,
        default=ConnectionTestStatus.NEVER,
        blank=True,
    )
    last_test_message = models.TextField(blank=True)
    # When the last test started, then when it finished.
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DnsAccountQuerySet.as_manager()

    class Meta:
        ordering = ["provider"]
        verbose_name = "DNS account"

    def __str__(self):
        return f"{self.name} ({self.provider_label})"

    @property
    def provider_class(self) -> type[DnsProvider] | None:
        return PROVIDERS.get(self.provider)

    @property
    def provider_label(self) -> str:
        provider_class = self.provider_class
        return provider_class.label if provider_class else f"unknown provider {self.provider!r}"

    @property
    def connection_test(self) -> ConnectionTest:
        """A test running for longer than CONNECTION_TEST_TIMEOUT shows as failed at
        once, before the periodic sweep records it (dns_providers.tasks)."""
        started = self.last_tested_at
        if self.last_test_status == ConnectionTestStatus.RUNNING and (
            started is None or started < timezone.now() - CONNECTION_TEST_TIMEOUT
        ):
            return ConnectionTest(ConnectionTestStatus.FAILED, UNFINISHED_TEST_MESSAGE, started)
        return ConnectionTest(self.last_test_status, self.last_test_message, started)

    def credential_values(self) -> dict[str, str]:
        return json.loads(self.credentials or "{}")

    def masked_credentials(self) -> dict[str, str]:
        if self.provider_class is None:
            return {}
        return self.provider_class.masked_credentials(self.credential_values())

    def secret_values(self) -> list[str]:
        """The secret credentials, to cut out of error messages and logs; everything
        stored when it cannot be read as the provider's fields (an old or damaged row)."""
        try:
            values = self.credential_values()
        except ValueError:
            return [self.credentials]
        if not isinstance(values, dict):
            return [self.credentials]
        provider_class = self.provider_class
        names = provider_class.secret_fields if provider_class else values.keys()
        return [str(values[name]) for name in names if values.get(name)]

    def build_provider(self) -> DnsProvider:
        """The provider, ready to call, with this account's credentials."""
        if self.provider_class is None:
            raise LookupError(f"DNS account {self.pk}: no provider {self.provider!r} is installed")
        return self.provider_class(self.credential_values())
