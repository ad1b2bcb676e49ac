"""The Celery app. Periodic jobs are declared here, in one place."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init

from certlife.broker import use_polled_database_transport
from certlife.logging import RedactSecretsFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certlife.settings")

use_polled_database_transport()
app = Celery("certlife")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_INTERVAL_SECONDS = 60
# How often the renewal and ARI sweeps run. Read from the environment here: this module
# is imported while Django's settings load, so it cannot read them.
RENEWAL_SWEEP_SECONDS = int(os.environ.get("CERTLIFE_RENEWAL_SWEEP_SECONDS") or 60)

app.conf.beat_schedule = {
    "scheduler-heartbeat": {
        "task": "certlife.tasks.record_heartbeat",
        "schedule": HEARTBEAT_INTERVAL_SECONDS,
        "args": ("scheduler",),
    },
    "resume-stalled-certificate-requests": {
        "task": "acme_orders.tasks.resume_stalled_requests",
        "schedule": 60,
    },
    "fail-unfinished-dns-connection-tests": {
        "task": "dns_providers.tasks.fail_unfinished_connection_tests",
        "schedule": 60,
    },
    "sweep-due-renewals": {
        "task": "acme_orders.tasks.sweep_due_renewals",
        "schedule": RENEWAL_SWEEP_SECONDS,
    },
    "refresh-due-renewal-infos": {
        "task": "acme_orders.tasks.refresh_due_renewal_infos",
        "schedule": RENEWAL_SWEEP_SECONDS,
    },
    "send-expiry-alerts": {"task": "alerts.tasks.send_expiry_alerts", "schedule": 60},
    "retry-alert-deliveries": {"task": "alerts.tasks.retry_alert_deliveries", "schedule": 60},
    "resume-stalled-deployments": {
        "task": "agents.tasks.resume_stalled_deployments",
        "schedule": 60,
    },
}


@beat_init.connect
def send_first_heartbeat(sender=None, **kwargs):
    """Beat's first interval would leave the dashboard warning for a minute after start."""
    app.send_task("certlife.tasks.record_heartbeat", args=("scheduler",))


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_secrets_in_celery_logs(logger=None, **kwargs):
    """Celery replaces the handlers of Django's LOGGING with its own in the worker and
    beat; those get the same redaction as the web process's console handler."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
