"""Celery tasks of agents: work on end servers that talks to the network
(docs/conventions.md point 3: load, claim, one step, record)."""

from celery import shared_task

from agents import deploy, ssh
from agents.choices import MappingKind
from agents.errors import SshError
from agents.models import AgentMapping, Deployment
from certlife.audit import current_source


@shared_task
def fetch_host_key(mapping_id: int) -> None:
    """Record the host key a Linux mapping's server shows (key exchange only, nothing
    sent), for a person to compare and trust; or why it could not be fetched."""
    mapping = AgentMapping.objects.filter(pk=mapping_id, kind=MappingKind.LINUX).first()
    if mapping is None:
        return
    try:
        fingerprint = ssh.fetch_host_key_fingerprint(mapping.host, mapping.port)
    except SshError as error:
        AgentMapping.objects.filter(pk=mapping_id).update(
            last_error=f"Could not fetch the host key: {error.message}"
        )
        return
    AgentMapping.objects.filter(pk=mapping_id).update(
        seen_host_key_fingerprint=fingerprint, last_error=""
    )


@shared_task(acks_late=True)
def deploy_certificate(deployment_id: int) -> None:
    """Run one deployment (agents/deploy.py); its outcome is recorded on the row."""
    current_source.set("worker")
    if not deploy.claim(deployment_id):
        return  # finished, or another worker runs it
    deployment = Deployment.objects.select_related("certificate", "version", "mapping").get(
        pk=deployment_id
    )
    deploy.run_deployment(deployment)


@shared_task
def resume_stalled_deployments() -> None:
    """Beat, every minute: SSH deployments whose message or worker was lost run again."""
    for deployment_id in deploy.stalled_deployments():
        deploy_certificate.delay(deployment_id)
