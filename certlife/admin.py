from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from certlife.audit import record_audit_event
from certlife.encryption import EncryptedTextField
from certlife.models import AuditEvent, ServiceHeartbeat


class AuditedAdmin(admin.ModelAdmin):
    """Base of every ModelAdmin: what Django admin adds, changes and deletes is written
    to the audit log like every other write (spec S2), with the field names admin lists
    in its own history (never their values)."""

    def audit_target(self, obj):
        """What the event names; override where str(obj) would show a secret."""
        return obj

    def _audit(self, action: str, request, obj, change_message=None) -> None:
        detail = {"model": obj._meta.label}
        if change_message:
            detail["changes"] = change_message
        record_audit_event(action, actor=request.user, target=self.audit_target(obj), detail=detail)

    def log_addition(self, request, obj, message):
        self._audit("admin.add", request, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit("admin.change", request, obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        # Called before the rows go, for one object and for the bulk "delete selected".
        for obj in queryset:
            self._audit("admin.delete", request, obj)
        return super().log_deletions(request, queryset)


class SecretsHiddenAdmin(AuditedAdmin):
    """Base admin for models with encrypted fields: those never reach a form or list."""

    def secret_field_names(self):
        return [f.name for f in self.model._meta.fields if isinstance(f, EncryptedTextField)]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self.secret_field_names()]

    def get_fields(self, request, obj=None):
        hidden = set(self.secret_field_names())
        return [name for name in super().get_fields(request, obj) if name not in hidden]


class ReadOnlyAdmin(AuditedAdmin):
    """For rows written only by actions (or, for tokens, on the profile page): admin
    shows them for troubleshooting and never adds, changes or deletes one."""

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
class ServiceHeartbeatAdmin(AuditedAdmin):
    list_display = ["source", "last_seen"]


# DRF's token admin lists token keys; replace it with one that never shows them.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class HiddenTokenAdmin(ReadOnlyAdmin, TokenAdmin):
    """Who holds an API token, and since when. No page per token: DRF names a token by
    its key, which every such page (change, history, delete) would show in its title.
    Users create and revoke their own token on their profile page."""

    list_display = ["user", "created"]
    list_display_links = None
    actions = None
    search_fields = ["user__username"]

    def get_urls(self):
        return [url for url in super().get_urls() if (url.name or "").endswith("_changelist")]

    def audit_target(self, obj):
        return obj.user  # a token's str() is its key


# Django's own user and group admins, audited like the rest (certlife/signals.py also
# records the change itself, wherever it is made).
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


# django-axes' lock-out records: deleting one in admin unlocks a user or an address,
# which is audited like any other admin change.
for axes_model in (AccessAttempt, AccessFailureLog, AccessLog):
    axes_admin = type(admin.site._registry[axes_model])
    admin.site.unregister(axes_model)
    admin.site.register(
        axes_model, type(f"Audited{axes_admin.__name__}", (AuditedAdmin, axes_admin), {})
    )
