from django.contrib import admin

from accounts.models import AcmeAccount
from certlife.admin import ReadOnlyAdmin, SecretsHiddenAdmin


@admin.register(AcmeAccount)
class AcmeAccountAdmin(ReadOnlyAdmin, SecretsHiddenAdmin):
    """Read-only here: accounts change only through Manage >> Accounts, the API or the
    `accounts` command, which talk to the CA and audit every change."""

    list_display = ["name", "email", "directory_url", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "directory_url"]
    readonly_fields = [
        "name", "email", "directory_url", "account_url", "status",
        "tos_agreed_at", "eab_kid", "created_at", "updated_at",
    ]  # fmt: skip
