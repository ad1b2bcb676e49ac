"""Alerts raised at once (spec N4, V6): a failed automatic renewal and a failed
deployment. Connected in AlertsConfig.ready(); they record the alert in a savepoint and
send it after commit, so nothing here can fail the renewal or deployment that sent it."""

from django.dispatch import receiver

from acme_orders.signals import automatic_renewal_failed
from agents.signals import deployment_failed
from alerts import messages
from alerts.alerting import raise_alert_quietly
from alerts.choices import AlertEvent


@receiver(automatic_renewal_failed, dispatch_uid="alerts.renewal_failed")
def alert_renewal_failed(sender, *, certificate, error: str, **kwargs) -> None:
    subject, message = messages.renewal_failure_words(certificate, error)
    raise_alert_quietly(
        AlertEvent.RENEWAL_FAILED,
        subject=subject,
        message=message,
        url=messages.certificate_url(certificate),
        certificate=certificate,
        certificate_facts=messages.certificate_facts(certificate),
    )


@receiver(deployment_failed, dispatch_uid="alerts.deployment_failed")
def alert_deployment_failed(sender, *, deployment, error: str, **kwargs) -> None:
    certificate = deployment.certificate
    subject, message = messages.deployment_failure_words(certificate, str(deployment.host), error)
    raise_alert_quietly(
        AlertEvent.DEPLOYMENT_FAILED,
        subject=subject,
        message=message,
        url=messages.certificate_url(certificate),
        certificate=certificate,
        certificate_facts=messages.certificate_facts(certificate),
    )
