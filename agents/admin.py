from django.contrib import admin

from agents.models import Agent, AgentMapping
from certlife.admin import SecretsHiddenAdmin


@admin.register(AgentMapping)
class AgentMappingAdmin(SecretsHiddenAdmin):
    """For troubleshooting: mappings are added and changed under Manage >> Deploy (or
    the API), where agents.actions checks them."""

    list_display = ["domain", "kind", "host", "agent", "dns_provider", "deploy", "enabled"]
    list_filter = ["kind", "deploy", "enabled"]
    search_fields = ["domain", "host"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Agent)
class AgentAdmin(SecretsHiddenAdmin):
    list_display = ["name", "token_prefix", "created_at", "last_seen_at", "revoked_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False  # an agent's token is made, and shown once, by its action

    def has_change_permission(self, request, obj=None):
        return False
