"""Work for pull agents (docs/features.md V4): HTTP-01 tokens to publish and remove, and
certificates to install. acme_orders' agent solver queues the HTTP-01 jobs; the agent
fetches its jobs (GET /api/v1/agent/jobs/) and reports each result
(POST /api/v1/agent/jobs/{id}/result/)."""

import base64
import secrets
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import transaction
from django.utils import timezone

from agents.choices import DeploymentStatus
from agents.models import (
    Agent,
    AgentJob,
    AgentJobKind,
    AgentJobStatus,
    AgentMapping,
    Deployment,
)
from agents.signals import deployment_failed, private_key_sent

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


def host_of(mapping: AgentMapping) -> str:
    """How a pull agent's deployments name their end server."""
    return f"pull agent {mapping.agent.name}" if mapping.agent else "pull agent (none)"


def queue_install(deployment: Deployment, mapping: AgentMapping) -> AgentJob:
    """Ask the mapping's agent to install the deployment's certificate version. The
    certificate and key are read from the version only when the agent fetches the job."""
    return AgentJob.objects.create(
        agent=_agent_of(mapping),
        kind=AgentJobKind.INSTALL_CERTIFICATE,
        domain=mapping.domain,
        install_to_iis=mapping.install_to_iis,
        site=mapping.site,
        deployment=deployment,
    )


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
    if job.kind == AgentJobKind.INSTALL_CERTIFICATE:
        payload.update(install_payload(job))
    return payload


def install_payload(job: AgentJob) -> dict:
    """The certificate, chain and key (PEM, for the Linux layout) and the same as a PFX
    with a one-time password (for Windows' Import-PfxCertificate), sent over the agent's
    TLS connection. The key's release is announced for the audit log
    (acme_orders/key_release.py) each time it is sent."""
    deployment = job.deployment
    if deployment is None:
        return {}
    version = deployment.version
    password = secrets.token_urlsafe(24)
    private_key_sent.send(sender=Deployment, deployment=deployment, recipient=f"agent job {job.pk}")
    return {
        "certificate_pem": version.certificate_pem,
        "chain_pem": version.chain_pem,
        "key_pem": version.private_key_pem,
        "pfx_base64": base64.b64encode(pfx_of(version, password)).decode(),
        "pfx_password": password,
        "install_to_iis": job.install_to_iis,
        "site": job.site,
    }


def pfx_of(version, password: str) -> bytes:
    """A PKCS#12 that Windows Server 2016 and later import (3DES and SHA-1 MAC, which
    older Windows needs; the file only travels inside TLS to the agent)."""
    certificate = x509.load_pem_x509_certificate(version.certificate_pem.encode())
    chain = x509.load_pem_x509_certificates(version.chain_pem.encode()) if version.chain_pem else []
    key = serialization.load_pem_private_key(version.private_key_pem.encode(), password=None)
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50000)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303 (what older Windows reads)
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        None,
        key,  # type: ignore[arg-type]
        certificate,
        chain,
        encryption,  # type: ignore[arg-type]
    )


def record_result(
    job: AgentJob, *, succeeded: bool, output: str, error: str, rolled_back: bool = False
) -> AgentJob:
    """Store what the agent reported for one of its jobs, and for an install the
    deployment's outcome. A job already finished keeps its first report (a retried POST
    changes nothing)."""
    if job.status in FINISHED:
        return job
    job.status = AgentJobStatus.SUCCEEDED if succeeded else AgentJobStatus.FAILED
    job.output = output[-MAX_REPORTED_CHARS:]
    job.error = "" if succeeded else (error[:MAX_REPORTED_CHARS] or "the agent gave no reason")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "output", "error", "finished_at"])
    if job.deployment_id is not None:
        _finish_deployment(job, rolled_back=rolled_back)
    return job


def _finish_deployment(job: AgentJob, *, rolled_back: bool) -> None:
    deployment = job.deployment
    assert deployment is not None
    if job.status == AgentJobStatus.SUCCEEDED:
        deployment.status = DeploymentStatus.SUCCEEDED
    else:
        deployment.status = DeploymentStatus.ROLLED_BACK if rolled_back else DeploymentStatus.FAILED
    deployment.error = job.error
    deployment.output = "\n".join(part for part in (deployment.output, job.output) if part)[
        -MAX_REPORTED_CHARS:
    ]
    deployment.finished_at = job.finished_at
    deployment.save(update_fields=["status", "error", "output", "finished_at"])
    if deployment.status != DeploymentStatus.SUCCEEDED:
        deployment_failed.send(sender=Deployment, deployment=deployment, error=deployment.error)
