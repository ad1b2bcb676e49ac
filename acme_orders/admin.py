from django.contrib import admin

from acme_orders.models import Certificate, CertificateRequest, CertificateVersion, Challenge
from certlife.admin import AuditedAdmin, ReadOnlyAdmin, SecretsHiddenAdmin


class CertificateVersionInline(admin.TabularInline):
    model = CertificateVersion
    fields = readonly_fields = (
        "serial_number", "key_type", "not_before", "not_after", "created_by_name",
    )  # fmt: skip
    extra = 0
    can_delete = False
    fk_name = "certificate"


@admin.register(Certificate)
class CertificateAdmin(AuditedAdmin):
    list_display = ["common_name", "status", "current_version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["common_name", "domains"]
    inlines = [CertificateVersionInline]
    raw_id_fields = ["current_version"]


@admin.register(CertificateVersion)
class CertificateVersionAdmin(SecretsHiddenAdmin):
    list_display = ["certificate", "serial_number", "key_type", "not_after", "created_by_name"]
    search_fields = ["certificate__common_name", "serial_number"]
    raw_id_fields = ["certificate", "created_by"]


class ChallengeInline(admin.TabularInline):
    model = Challenge
    fields = readonly_fields = (
        "domain", "type", "solver", "status", "error", "presented", "cleaned_up",
    )  # fmt: skip
    extra = 0
    can_delete = False


@admin.register(CertificateRequest)
class CertificateRequestAdmin(ReadOnlyAdmin, SecretsHiddenAdmin):
    """For troubleshooting; requests change only through their actions."""

    list_display = ["__str__", "account", "challenge_type", "status", "created_at"]
    list_filter = ["status", "challenge_type"]
    search_fields = ["domains", "error"]
    inlines = [ChallengeInline]
