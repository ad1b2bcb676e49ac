from django.contrib import admin

from alerts.models import Alert, AlertChannel, AlertDelivery, ExpiryAlertSent
from certlife.admin import ReadOnlyAdmin, SecretsHiddenAdmin


@admin.register(AlertChannel)
class AlertChannelAdmin(SecretsHiddenAdmin):
    list_display = ["name", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["kind"]

    def has_add_permission(self, request):
        # The target is entered under Manage >> Alerts, where its rules are applied.
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "subject"]
    list_filter = ["event"]
    search_fields = ["subject"]


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "alert", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["last_error"]


@admin.register(ExpiryAlertSent)
class ExpiryAlertSentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "version", "threshold"]
