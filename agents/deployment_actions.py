"""Writes on deployments (docs/conventions.md point 1). Scheduling after a save is
agents.deploy.schedule_deployments, called by acme_orders' save action."""

from django.core.exceptions import ValidationError
from django.db import transaction

from agents.choices import DeploymentStatus
from agents.deploy import REVOKED, enqueue_deployment
from agents.models import Deployment
from certlife.audit import record_audit_event

RETRYABLE = (DeploymentStatus.FAILED, DeploymentStatus.ROLLED_BACK)


def _retry_problem(deployment: Deployment) -> str:
    if deployment.status not in RETRYABLE:
        return (
            "Only a failed or rolled-back deployment can be retried; this one is "
            f"{deployment.get_status_display().lower()}."
        )
    if deployment.certificate.status == REVOKED:
        return "The certificate is revoked; certlife does not deploy it."
    if deployment.certificate.current_version_id != deployment.version_id:
        return (
            "A newer version of this certificate was saved since; retry its deployment "
            "instead of sending the older one."
        )
    mapping = deployment.mapping
    if mapping is None or not (mapping.deploy and mapping.enabled):
        return "Its agent mapping was deleted, disabled or no longer deploys certificates."
    return ""


@transaction.atomic
def retry_deployment(deployment: Deployment, *, actor) -> Deployment:
    """Run a failed or rolled-back deployment again (docs/features.md V6), on behalf of
    `actor`: the same version to the same mapping, its outcome replacing the last."""
    deployment = (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("certificate", "mapping")
        .get(pk=deployment.pk)
    )
    problem = _retry_problem(deployment)
    if problem:
        raise ValidationError({"status": [problem]})
    deployment.status = DeploymentStatus.PENDING
    deployment.served_serial = deployment.output = deployment.error = ""
    deployment.started_at = deployment.finished_at = None
    deployment.requested_by = actor if getattr(actor, "is_authenticated", False) else None
    deployment.requested_by_name = actor.get_username() if deployment.requested_by else "system"
    deployment.save(
        update_fields=[
            "status",
            "served_serial",
            "output",
            "error",
            "started_at",
            "finished_at",
            "requested_by",
            "requested_by_name",
        ]
    )
    record_audit_event(
        "deployment.retry",
        actor=actor,
        target=deployment,
        detail={"host": deployment.host, "serial": deployment.version.serial_number},
    )
    enqueue_deployment(deployment)
    return deployment
