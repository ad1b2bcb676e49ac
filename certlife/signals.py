"""Audit events for users, groups and permissions, wherever they change: Django admin,
`createsuperuser` and `changepassword`, the password page, a shell, a migration that
syncs the role groups (spec S2). Connected in CertlifeConfig.ready().

Signals, not actions, because Django itself writes these rows. A password change is
recorded as the fact alone: never the password, never its hash.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from certlife.audit import acting_user, record_audit_event

# What a user change event shows, old and new; `password` is deliberately not here.
USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff",
               "is_superuser")  # fmt: skip


def _record(action: str, target, detail: dict | None = None) -> None:
    record_audit_event(action, actor=acting_user(), target=target, detail=detail)


def _touches(update_fields, fields) -> bool:
    return update_fields is None or bool(set(update_fields) & set(fields))


def remember_user_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    # The row as stored, to compare after the save; a login saving last_login skips it.
    if raw or instance.pk is None or not _touches(update_fields, (*USER_FIELDS, "password")):
        return
    instance._audit_before = sender.objects.filter(pk=instance.pk).first()


def audit_user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        _record("user.create", instance, {field: getattr(instance, field) for field in USER_FIELDS})
        return
    before = instance.__dict__.pop("_audit_before", None)
    if before is None:
        return
    changes = {
        field: [getattr(before, field), getattr(instance, field)]
        for field in USER_FIELDS
        if getattr(before, field) != getattr(instance, field)
    }
    if changes:
        _record("user.change", instance, {"changes": changes})
    if before.password != instance.password and _password_was_set(instance):
        _record("user.password_change", instance, {"usable": instance.has_usable_password()})


def _password_was_set(user) -> bool:
    """A new password was given (set_password keeps it in `_password` until the save
    ends) or the password was disabled; not the hash upgrade Django makes at login."""
    return getattr(user, "_password", None) is not None or not user.has_usable_password()


def audit_user_deleted(sender, instance, **kwargs):
    _record("user.delete", instance)


def remember_group_before_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    instance._audit_before_name = (
        sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    )


def audit_group_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        _record("group.create", instance, {"name": instance.name})
        return
    before = instance.__dict__.pop("_audit_before_name", None)
    if before is not None and before != instance.name:
        _record("group.change", instance, {"changes": {"name": [before, instance.name]}})


def audit_group_deleted(sender, instance, **kwargs):
    _record("group.delete", instance)


def _permission_labels(permissions) -> list[str]:
    pairs = permissions.values_list("content_type__app_label", "codename")
    return [f"{app_label}.{codename}" for app_label, codename in pairs]


def _group_labels(groups) -> list[str]:
    return list(groups.values_list("name", flat=True))


class MembershipAudit:
    """m2m_changed handler for one relation (a user's groups, a user's or a group's
    permissions): one event on each user or group whose set changed, naming what was
    added or removed, whichever side of the relation the change was made from."""

    def __init__(self, owner_model, field_name: str, action: str, labels):
        self.owner_model, self.field_name = owner_model, field_name
        self.action, self.labels = action, labels

    @property
    def through(self):
        return getattr(self.owner_model, self.field_name).through

    def __call__(self, sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "pre_clear"):
            return
        change = "added" if action == "post_add" else "removed"
        if not reverse:
            if pk_set is None:  # clear(): everything the owner has now
                members = getattr(instance, self.field_name).all()
            else:
                members = model.objects.filter(pk__in=pk_set)
            self._record(instance, change, members)
            return
        if pk_set is None:
            owners = self.owner_model.objects.filter(**{self.field_name: instance})
        else:
            owners = model.objects.filter(pk__in=pk_set)
        for owner in owners:
            self._record(owner, change, type(instance).objects.filter(pk=instance.pk))

    def _record(self, owner, change: str, members) -> None:
        if labels := self.labels(members):
            _record(self.action, owner, {change: sorted(labels)})


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(remember_user_before_save, sender=user_model, dispatch_uid="audit-user-pre")
    post_save.connect(audit_user_saved, sender=user_model, dispatch_uid="audit-user-save")
    post_delete.connect(audit_user_deleted, sender=user_model, dispatch_uid="audit-user-delete")
    pre_save.connect(remember_group_before_save, sender=Group, dispatch_uid="audit-group-pre")
    post_save.connect(audit_group_saved, sender=Group, dispatch_uid="audit-group-save")
    post_delete.connect(audit_group_deleted, sender=Group, dispatch_uid="audit-group-delete")
    relations = [
        MembershipAudit(user_model, "groups", "user.groups_change", _group_labels),
        MembershipAudit(
            user_model, "user_permissions", "user.permissions_change", _permission_labels
        ),
        MembershipAudit(Group, "permissions", "group.permissions_change", _permission_labels),
    ]
    for relation in relations:
        m2m_changed.connect(
            relation, sender=relation.through, weak=False, dispatch_uid=relation.action
        )
