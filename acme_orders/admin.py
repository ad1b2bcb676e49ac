from django.contrib import admin

from acme_orders.models import Certificate, CertificateVersion
from certlife.admin import SecretsHiddenAdmin


class CertificateVersionInline(admin.TabularInline):
    model = CertificateVersion
    fields = ["serial_number", "key_type", "not_before", "not_after", "created_by_name"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    fk_name = "certificate"


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
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
