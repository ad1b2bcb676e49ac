from django.contrib import admin

from agents.models import Agent, AgentJob, AgentMapping, Deployment
from certlife.admin import ReadOnlyAdmin, SecretsHiddenAdmin


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


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    """For troubleshooting: deployments are made by saves and retried on the certificate's
    page or through the API."""

    list_display = ["certificate", "host", "status", "served_serial", "started_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["host", "certificate__common_name"]


@admin.register(AgentJob)
class AgentJobAdmin(ReadOnlyAdmin):
    """What pull agents were asked to do and what they answered. The certificate and key
    of an install job are never stored on the job; they are sent when the agent polls."""

    list_display = ["agent", "kind", "domain", "status", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["domain"]
