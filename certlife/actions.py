"""Writes of the platform itself, each audited (docs/conventions.md point 1)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from certlife.audit import record_audit_event
from certlife.roles import ADMINISTRATOR


@transaction.atomic
def create_api_token(*, actor) -> str:
    """A new API token for the actor, replacing any previous one. Returned once."""
    Token.objects.filter(user=actor).delete()
    token = Token.objects.create(user=actor)
    record_audit_event("api_token.create", actor=actor, target=actor)
    return token.key


@transaction.atomic
def revoke_api_token(*, actor) -> None:
    deleted, _ = Token.objects.filter(user=actor).delete()
    if deleted:
        record_audit_event("api_token.revoke", actor=actor, target=actor)


@transaction.atomic
def ensure_first_administrator(*, username: str, password: str) -> bool:
    """Create the first administrator unless one exists. True when created."""
    User = get_user_model()
    existing = (
        User.objects.filter(username=username).first()
        or User.objects.filter(groups__name=ADMINISTRATOR).first()
        or User.objects.filter(is_superuser=True).first()
    )
    if existing is not None:
        return False
    user = User.objects.create_user(
        username=username, password=password, is_staff=True, is_superuser=True
    )
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    record_audit_event("user.create_first_administrator", actor=None, target=user)
    return True
