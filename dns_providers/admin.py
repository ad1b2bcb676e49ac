from django.contrib import admin

from certlife.admin import SecretsHiddenAdmin
from dns_providers.models import DnsAccount


@admin.register(DnsAccount)
class DnsAccountAdmin(SecretsHiddenAdmin):
    list_display = ["provider", "name", "enabled", "last_test_status", "updated_at"]
    list_filter = ["enabled", "provider"]
    readonly_fields = ["provider", "last_test_status", "last_test_message", "last_tested_at"]

    def has_add_permission(self, request):
        # Credentials are entered under Manage >> DNS, where the provider's fields are known.
        return False
