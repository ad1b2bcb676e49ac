"""Pull agent tokens (docs/features.md V4): 256 random bits, shown once; certlife keeps
the SHA-256 of the token and its first characters (`token_prefix`, to find the row).
A high-entropy token needs no slow hash: SHA-256 cannot be reversed and guessing
2^256 values is not a threat, so the check is one lookup and a constant-time compare."""

import hashlib
import hmac
import secrets

from django.utils import timezone

from agents.models import Agent

TOKEN_PREFIX = "cla_"  # noqa: S105 (a marker, not a secret)
PREFIX_LENGTH = 12  # "cla_" and 8 random characters: tells tokens apart, proves nothing
MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """(token, prefix, hash) of a fresh agent token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:PREFIX_LENGTH], token_hash(token)


def set_new_token(agent: Agent) -> str:
    """Give `agent` a fresh token (the old one stops working) and return it, once."""
    token, agent.token_prefix, agent.token_hash = new_token()
    return token


def agent_for_token(token: str) -> Agent | None:
    """The agent holding `token`, revoked or not; None for an unknown token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    wanted = token_hash(token)
    for agent in Agent.objects.filter(token_prefix=token[:PREFIX_LENGTH]):
        if hmac.compare_digest(agent.token_hash, wanted):
            return agent
    return None


def mark_seen(agent: Agent) -> None:
    agent.last_seen_at = timezone.now()
    Agent.objects.filter(pk=agent.pk).update(last_seen_at=agent.last_seen_at)
