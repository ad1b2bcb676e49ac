"""Work for pull agents (docs/features.md V4): HTTP-01 tokens to publish and remove, and
certificates to install. acme_orders' agent solver queues the HTTP-01 jobs; the agent
fetches its jobs (GET /api/v1/agent/jobs/) and reports each result
(POST /api/v1/agent/jobs/{id}/result/)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agents.models import Agent, AgentJob, AgentJobKind, AgentJobStatus, AgentMapping

# A job sent but not reported is sent again after this long (the agent died mid-job).
RESEND_AFTER = timedelta(minutes=5)
JOBS_PER_POLL = 20
MAX_REPORTED_CHARS = 20_000
FINISHED = (AgentJobStatus.SUCCEEDED, AgentJobStatus.FAILED)


class NoAgent(Exception):
    """The mapping names no agent, or a revoked one: nobody would pick the job up."""


def _agent_of(mapping: AgentMapping) -> Agent:
    agent = mapping.agent
    if agent is None:
        raise NoAgent(f"{mapping.domain}: the mapping names no pull agent.")
    if agent.revoked:
        raise NoAgent(f"{mapping.domain}: the pull agent {agent.name} is revoked.")
    return agent


def queue_publish(mapping: AgentMapping, *, domain: str, token: str, content: str) -> AgentJob:
    """Ask the mapping's agent to serve `content` at /.well-known/acme-challenge/<token>."""
    return AgentJob.objects.create(
        agent=_agent_of(mapping),
        kind=AgentJobKind.PUBLISH_HTTP01,
        domain=domain,
        web_root=mapping.web_root,
        token=token,
        content=content,
    )


def queue_remove(mapping: AgentMapping, *, domain: str, token: str) -> AgentJob | None:
    """Ask the agent to remove the token file; nothing when it never got the token."""
    agent = mapping.agent
    if agent is None or agent.revoked:
        return None
    published = AgentJob.objects.filter(agent=agent, kind=AgentJobKind.PUBLISH_HTTP01, token=token)
    # Not picked up yet: withdraw it instead of publishing then removing.
    published.filter(status=AgentJobStatus.PENDING).update(
        status=AgentJobStatus.FAILED, error="withdrawn: the challenge ended first"
    )
    if not published.exclude(status=AgentJobStatus.FAILED).exists():
        return None
    return AgentJob.objects.create(
        agent=agent,
        kind=AgentJobKind.REMOVE_HTTP01,
        domain=domain,
        web_root=mapping.web_root,
        token=token,
    )


def publish_problem(mapping: AgentMapping | None, token: str) -> str | None:
    """Why the agent has not published `token` yet, in words; None once it reported it
    published (the caller then checks the site itself, as the CA will). Raises
    CannotPublish when waiting is pointless: no agent, a revoked one, or the agent
    reported that it failed."""
    if mapping is None:
        raise CannotPublish("the agent mapping was deleted; start a New challenge.")
    job = (
        AgentJob.objects.filter(kind=AgentJobKind.PUBLISH_HTTP01, token=token)
        .select_related("agent")
        .order_by("-id")
        .first()
    )
    if job is None:
        raise CannotPublish(str(_no_agent_reason(mapping)))
    agent = job.agent
    if agent.revoked:
        raise CannotPublish(f"the pull agent {agent.name} is revoked.")
    if job.status == AgentJobStatus.FAILED:
        raise CannotPublish(f"the pull agent {agent.name} could not publish the token: {job.error}")
    if job.status != AgentJobStatus.SUCCEEDED:
        seen = agent.last_seen_at.isoformat(timespec="seconds") if agent.last_seen_at else "never"
        return f"the pull agent {agent.name} has not published the token yet (last seen {seen})."
    return None


def _no_agent_reason(mapping: AgentMapping) -> str:
    try:
        _agent_of(mapping)
    except NoAgent as reason:
        return str(reason)
    return "no publish job was queued for the agent."


class CannotPublish(Exception):
    """The token will not be published by waiting longer; the message says why."""


def jobs_to_send(agent: Agent) -> list[AgentJob]:
    """The agent's pending jobs (and sent ones never reported), oldest first, now sent."""
    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            AgentJob.objects.select_for_update()
            .filter(agent=agent, status__in=(AgentJobStatus.PENDING, AgentJobStatus.SENT))
            .exclude(status=AgentJobStatus.SENT, sent_at__gt=now - RESEND_AFTER)
            .order_by("id")[:JOBS_PER_POLL]
        )
        AgentJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
            status=AgentJobStatus.SENT, sent_at=now
        )
    return jobs


def job_payload(job: AgentJob) -> dict:
    """What the agent receives for one job (certlife_agent.handle_job reads it)."""
    payload = {"id": job.pk, "kind": job.kind, "domain": job.domain, "web_root": job.web_root}
    if job.kind in (AgentJobKind.PUBLISH_HTTP01, AgentJobKind.REMOVE_HTTP01):
        payload["token"] = job.token
    if job.kind == AgentJobKind.PUBLISH_HTTP01:
        payload["content"] = job.content
    return payload


def record_result(job: AgentJob, *, succeeded: bool, output: str, error: str) -> AgentJob:
    """Store what the agent reported for one of its jobs. A job already finished keeps
    its first report (a retried POST changes nothing)."""
    if job.status in FINISHED:
        return job
    job.status = AgentJobStatus.SUCCEEDED if succeeded else AgentJobStatus.FAILED
    job.output = output[-MAX_REPORTED_CHARS:]
    job.error = "" if succeeded else (error[:MAX_REPORTED_CHARS] or "the agent gave no reason")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "output", "error", "finished_at"])
    return job
