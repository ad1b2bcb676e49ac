"""Celery tasks of agents (docs/conventions.md point 3: load, claim, one step, record)."""

from celery import shared_task

from agents import deploy
from agents.models import Deployment
from certlife.audit import current_source


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
