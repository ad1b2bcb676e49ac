"""The three roles of spec S1, as Django groups whose permissions are kept in sync.

administrator: every permission. auditor: every `view_*` permission (read-only,
audit log included). operator: every `view_*` permission except the audit log, plus
OPERATOR_PERMISSIONS. Groups are re-synced after every migrate, so permissions of
models added later are granted without a data migration.
"""

from django.contrib.auth.models import Group, Permission

ADMINISTRATOR = "administrator"
OPERATOR = "operator"
AUDITOR = "auditor"
ROLES = (ADMINISTRATOR, OPERATOR, AUDITOR)

# "app_label.codename" granted to operators beyond viewing; each feature adds its own.
OPERATOR_PERMISSIONS: set[str] = {
    "acme_orders.add_certificate",  # save to the repository (spec P2, N1)
    "acme_orders.add_certificaterequest",
    "acme_orders.change_certificaterequest",
    "acme_orders.export_certificate",
    "acme_orders.renew_certificate",
    "agents.add_agentmapping",
    "agents.change_agentmapping",
    "agents.change_deployment",  # retry a deployment (spec V6)
}
OPERATOR_HIDDEN = {"certlife.view_auditevent"}


def _label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def permissions_for_role(role: str) -> list[Permission]:
    every = Permission.objects.select_related("content_type")
    if role == ADMINISTRATOR:
        return list(every)
    viewing = [p for p in every if p.codename.startswith("view_")]
    if role == AUDITOR:
        return viewing
    granted = [p for p in every if _label(p) in OPERATOR_PERMISSIONS]
    return [p for p in viewing if _label(p) not in OPERATOR_HIDDEN] + granted


def sync_role_groups(**kwargs) -> None:
    """post_migrate handler: create the role groups and set their permissions."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions_for_role(role))


def role_of(user) -> str | None:
    """The strongest role a user holds (superusers are administrators), or None."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMINISTRATOR
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in ROLES if role in names), None)
