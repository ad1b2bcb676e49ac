"""`manage.py renewals [--all] [--run]`: which certificates are due for automatic renewal
and why, and when the next ones are (spec N3, S4); `--run` starts the due renewals now,
as the every-minute sweep would (the worker then carries them out)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from acme_orders import renewal
from acme_orders.choices import CertificateStatus
from acme_orders.models import Certificate
from certlife.audit import current_source

UPCOMING = 20


def describe(certificate: Certificate, now) -> str:
    due = certificate.renewal_due_at
    when = "not scheduled" if due is None else due.isoformat(timespec="seconds")
    state = "DUE" if due is not None and due <= now else "next"
    why = certificate.get_renewal_source_display() if certificate.renewal_source else "-"
    if certificate.renewal_window_start and certificate.renewal_window_end:
        why += (
            f" {certificate.renewal_window_start.isoformat(timespec='seconds')}"
            f" .. {certificate.renewal_window_end.isoformat(timespec='seconds')}"
        )
    lines = [f"{certificate.pk:>6}  {state:<4} {when}  {certificate.common_name}  ({why})"]
    if certificate.renewal_failures:
        lines.append(
            f"        {certificate.renewal_failures} failed attempt(s), last: "
            f"{certificate.renewal_last_error}"
        )
    if certificate.renewal_blocker:
        lines.append(f"        cannot renew unattended: {certificate.renewal_blocker}")
    if certificate.renewal_claimed_until and certificate.renewal_claimed_until > now:
        lines.append("        a renewal is in progress")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Show due and upcoming automatic renewals and why; --run renews the due ones now."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="List every certificate.")
        parser.add_argument("--run", action="store_true", help="Start the due renewals now.")

    def handle(self, *args, all=False, run=False, **options):  # noqa: A002 (the option's name)
        now = timezone.now()
        if run:
            source = current_source.set("cli")
            try:
                result = renewal.run_renewal_sweep(now)
            finally:
                current_source.reset(source)
            names = dict(Certificate.objects.filter(pk__in=[
                *result.started, *result.skipped
            ]).values_list("pk", "common_name"))  # fmt: skip
            for certificate_id in result.started:
                self.stdout.write(f"Renewal started: {names[certificate_id]} ({certificate_id})")
            for certificate_id, why in result.skipped.items():
                self.stdout.write(f"Not renewed: {names[certificate_id]} ({certificate_id}): {why}")
            if not result.started and not result.skipped:
                self.stdout.write("Nothing is due.")
            return
        scheduled = Certificate.objects.filter(
            auto_renew=True, status=CertificateStatus.ACTIVE
        ).order_by("renewal_due_at", "pk")
        due = scheduled.filter(renewal_due_at__lte=now)
        shown = scheduled if all else [*due, *scheduled.filter(renewal_due_at__gt=now)[:UPCOMING]]
        if not shown:
            self.stdout.write("No certificate renews automatically.")
        for certificate in shown:
            self.stdout.write(describe(certificate, now))
        off = Certificate.objects.filter(auto_renew=False, status=CertificateStatus.ACTIVE).count()
        if off:
            self.stdout.write(f"({off} active certificate(s) have automatic renewal switched off.)")
