"""Every write to pull agents (docs/conventions.md point 1): atomic, audited, keyword-only
`actor`. A token is returned to the caller once and never written to the audit log."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.models import Agent, AgentJob, AgentJobStatus
from agents.package import build_package
from agents.tokens import set_new_token
from certlife.audit import record_audit_event

MAX_NAME_LENGTH = 100
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["A name is required."]})
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH or CONTROL_CHARACTERS.search(name):
        raise ValidationError(
            {"name": [f"At most {MAX_NAME_LENGTH} characters, without control characters."]}
        )
    return name


@transaction.atomic
def create_agent(*, name, actor) -> tuple[Agent, str]:
    """A new pull agent and its token, which is shown this once (docs/features.md V4)."""
    agent = Agent(name=_clean_name(name))
    token = set_new_token(agent)
    agent.save()
    record_audit_event("agent.create", actor=actor, target=agent, detail={"name": agent.name})
    return agent, token


@transaction.atomic
def revoke_agent(agent: Agent, *, actor) -> Agent:
    """Refuse the agent's token from now on; its waiting jobs fail."""
    if agent.revoked_at is None:
        agent.revoked_at = timezone.now()
        agent.save(update_fields=["revoked_at"])
        AgentJob.objects.filter(
            agent=agent, status__in=(AgentJobStatus.PENDING, AgentJobStatus.SENT)
        ).update(status=AgentJobStatus.FAILED, error="the agent was revoked")
    record_audit_event("agent.revoke", actor=actor, target=agent, detail={"name": agent.name})
    return agent


@transaction.atomic
def download_agent_package(agent: Agent, *, server_url: str, actor) -> bytes:
    """The agent package with a fresh token: the agent's previous token stops working
    (one agent, one valid token; the page says so). A revoked agent gets none."""
    if agent.revoked:
        raise ValidationError(
            {"agent": ["This agent is revoked; create a new agent for a new package."]}
        )
    token = set_new_token(agent)
    agent.save(update_fields=["token_prefix", "token_hash"])
    record_audit_event(
        "agent.package_download",
        actor=actor,
        target=agent,
        detail={"name": agent.name, "server_url": server_url},
    )
    return build_package(server_url, token)
