from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from certlife.encryption import EncryptedTextField
from certlife.models import AuditEvent, ServiceHeartbeat


class SecretsHiddenAdmin(admin.ModelAdmin):
    """Base admin for models with encrypted fields: those never reach a form or list."""

    def secret_field_names(self):
        return [f.name for f in self.model._meta.fields if isinstance(f, EncryptedTextField)]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self.secret_field_names()]

    def get_fields(self, request, obj=None):
        hidden = set(self.secret_field_names())
        return [name for name in super().get_fields(request, obj) if name not in hidden]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows written only by actions: admin shows them for troubleshooting."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_name", "action", "target_label", "source", "outcome"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_name", "action", "target_label", "source"]
    date_hierarchy = "occurred_at"


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["source", "last_seen"]


# DRF's token admin lists token keys; replace it with one that never shows them.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class HiddenTokenAdmin(TokenAdmin):
    """Who holds an API token, and since when. No page per token: DRF names a token by
    its key, which every such page (change, history, delete) would show in its title.
    Users create and revoke their own token on their profile page."""

    list_display = ["user", "created"]
    list_display_links = None
    actions = None
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [url for url in super().get_urls() if (url.name or "").endswith("_changelist")]
