"""Scale benchmark: the pages, API listings and sweeps at 1,000 and at 100,000 certificates.

    .venv/bin/python bench/scale.py [--sizes 1000,100000] [--repeat 5]

Creates a PostgreSQL database of its own (dropped at the end), migrates it, fills the
repository with bulk_create (accounts, certificates with one to three versions and
spread expiry dates, one saved request each, a constant set of open requests, agent
mappings when the agents app has them) to the first size, measures, grows it to the
next size, measures again. For each page, listing and sweep it prints the server time
(the fastest of --repeat runs after one warm-up), the number of SQL queries, the ratio of
the largest size to the smallest, and for sweeps the peak of memory allocated
(tracemalloc). Sweeps run in a transaction that is rolled back, with Celery's sending
replaced by a no-op, so each run sees the same data and nothing leaves the process.

The number of certificates due (for renewal, for an alert) is the same at every size:
what grows is the repository, as in a well-run installation.
"""

import argparse
import contextlib
import datetime
import importlib
import os
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEFAULT_POSTGRES, Progress, machine_description, ratio, table

ACCOUNTS = 5
# Certificates expiring (and so due) soon, the same number at every size.
REVOKED_FIRST = 50
DUE_SOON = 20
OPEN_REQUESTS = 30
BATCH = 5000

# (label, module, function): sweeps measured when their module exists on this branch;
# each is called with no arguments. Adding a sweep is one line here.
SWEEPS = [
    ("stalled-request sweep", "acme_orders.tasks", "resume_stalled_requests"),
    ("renewal sweep", "acme_orders.renewal", "run_renewal_sweep"),
    ("expiry alert sweep", "alerts.expiry", "send_expiry_alerts"),
]


@dataclass
class Measurement:
    seconds: float
    queries: int
    peak_bytes: int | None = None


@dataclass
class Filled:
    certificates: int = 0
    accounts: list = field(default_factory=list)
    sample_certificate_id: int = 0


# ---------------------------------------------------------------- the database


def create_database(admin_url: str) -> str:
    import psycopg

    name = f"certlife_scale_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CERTLIFE_DATA_DIR", tempfile.mkdtemp(prefix="certlife-scale-"))
    os.environ["CERTLIFE_API_RATE"] = "1000000/minute"
    os.environ["DJANGO_SETTINGS_MODULE"] = "certlife.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


# ---------------------------------------------------------------- filling


def fill_to(filled: Filled, size: int, progress: Progress) -> None:
    """Add certificates (with versions and a saved request each) until there are `size`."""
    from django.db import connection

    from acme_orders.models import Certificate, CertificateRequest, CertificateVersion

    if not filled.accounts:
        filled.accounts = make_accounts()
        make_open_requests(filled.accounts)
    now = datetime.datetime.now(datetime.UTC)
    while filled.certificates < size:
        start = filled.certificates
        count = min(BATCH, size - start)
        certificates = Certificate.objects.bulk_create(
            [new_certificate(start + i, now) for i in range(count)]
        )
        versions, requests = [], []
        for i, certificate in enumerate(certificates, start):
            account = filled.accounts[i % len(filled.accounts)]
            versions += new_versions(certificate, account, i, now)
            requests.append(new_saved_request(certificate, account))
        CertificateVersion.objects.bulk_create(versions, batch_size=BATCH)
        CertificateRequest.objects.bulk_create(requests, batch_size=BATCH)
        add_agent_mappings(certificates)
        filled.certificates += count
        progress.show(f"filling: {filled.certificates:,}/{size:,} certificates")
    with connection.cursor() as cursor:
        # The newest version of each certificate is its current one.
        cursor.execute(
            "UPDATE acme_orders_certificate c SET current_version_id = v.id,"
            " expires_at = v.not_after FROM ("
            " SELECT DISTINCT ON (certificate_id) id, certificate_id, not_after"
            " FROM acme_orders_certificateversion ORDER BY certificate_id, not_after DESC"
            ") v WHERE v.certificate_id = c.id AND c.current_version_id IS NULL"
        )
        # As autovacuum does some time after a bulk load (PostgreSQL 13+ vacuums after
        # inserts too): statistics, and the visibility map that index-only scans need.
        cursor.execute("VACUUM ANALYZE")
    if not filled.sample_certificate_id:
        filled.sample_certificate_id = Certificate.objects.order_by("id").first().pk
    progress.done(f"filled: {filled.certificates:,} certificates")


def make_accounts() -> list:
    from accounts.models import AcmeAccount
    from tests.factories import make_key_pem

    key_pem = make_key_pem()
    return [
        AcmeAccount.objects.create(
            name=f"CA {i}",
            email="ops@example.com",
            directory_url=f"https://ca{i}.example.net/directory",
            key_pem=key_pem,
            account_url=f"https://ca{i}.example.net/acct/1",
            status="valid",
        )
        for i in range(ACCOUNTS)
    ]


def expiry_of(i: int, now: datetime.datetime) -> datetime.datetime:
    """The current version's not_after: the first DUE_SOON certificates expire within 30
    days (a few already expired), every other one between 31 and 365 days from now."""
    if i < DUE_SOON:
        return now + datetime.timedelta(days=i * 2 - 5, hours=1)
    return now + datetime.timedelta(days=31 + (i * 7919) % 335, minutes=i % 1440)


def is_revoked(i: int) -> bool:
    """About 1 in 97, and a page's worth among the first so that the revoked filter
    shows a full page (50 rows) at every size: a ratio of the same work."""
    return i >= DUE_SOON and (i % 97 == 0 or i < DUE_SOON + REVOKED_FIRST)


def new_certificate(i: int, now: datetime.datetime):
    from acme_orders.models import Certificate

    name = f"host-{i:06d}.example.com"
    certificate = Certificate(
        common_name=name,
        domains=[name, f"www.host-{i:06d}.example.com"],
        status="revoked" if is_revoked(i) else "active",
        auto_renew=i % 10 != 0,
    )
    with contextlib.suppress(Exception):  # lifecycle fields, where the branch has them
        certificate.renewal_due_at = expiry_of(i, now) - datetime.timedelta(days=30)
    return certificate


def new_versions(certificate, account, i: int, now: datetime.datetime) -> list:
    from acme_orders.models import CertificateVersion

    count = 1 + i % 3
    newest = expiry_of(i, now)
    return [
        CertificateVersion(
            certificate=certificate,
            serial_number=f"{i:08x}{n:02x}",
            issuer="Scale Test CA",
            key_type="EC P-256",
            not_before=newest - datetime.timedelta(days=90 * (n + 1)),
            not_after=newest - datetime.timedelta(days=90 * n),
            certificate_pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            private_key_pem="",
            account=account,
            directory_url=account.directory_url,
        )
        for n in range(count)
    ]


def new_saved_request(certificate, account):
    from acme_orders.models import CertificateRequest

    return CertificateRequest(
        account=account,
        domains=certificate.domains,
        challenge_type="dns-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        status="saved",
        certificate=certificate,
    )


def make_open_requests(accounts) -> None:
    """Requests not yet saved, the same number at every size: the pending page's rows."""
    from acme_orders.models import CertificateRequest

    statuses = ["pending", "validating", "issuing", "available", "failed"]
    CertificateRequest.objects.bulk_create(
        [
            CertificateRequest(
                account=accounts[i % len(accounts)],
                domains=[f"open-{i}.example.com"],
                challenge_type="http-01",
                key_algorithm="EC",
                key_size=256,
                signature_algorithm="SHA256withECDSA",
                keystore_type="PEM",
                status=statuses[i % len(statuses)],
            )
            for i in range(OPEN_REQUESTS)
        ]
    )


def add_agent_mappings(certificates) -> None:
    """Every tenth certificate's name gets an agent mapping, when the agents app has them."""
    from django.apps import apps

    try:
        mapping_model = apps.get_model("agents", "AgentMapping")
    except LookupError:
        return
    kind = mapping_model._meta.get_field("kind").choices[0][0]
    mapping_model.objects.bulk_create(
        [
            mapping_model(kind=kind, domain=certificate.common_name, host="192.0.2.10")
            for certificate in certificates[::10]
        ]
    )


# ---------------------------------------------------------------- measuring


def measure(call: Callable[[], object], repeat: int, *, memory=False) -> Measurement:
    """The fastest of `repeat` calls after a warm-up (on a shared machine the least
    disturbed one), the queries of one call, and
    (`memory`) the peak allocated during one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    with CaptureQueriesContext(connection) as captured:
        call()
    queries = len(captured)  # now: the next request empties the connection's query log
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    peak = None
    if memory:
        tracemalloc.start()
        call()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measurement(min(times), queries, peak)


def page(client, url: str) -> Callable[[], object]:
    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return response

    return get


def rolled_back(function: Callable[[], object]) -> Callable[[], object]:
    """Run `function` in a transaction that is rolled back, sending no Celery task."""
    from django.db import transaction

    def run():
        with mock.patch("celery.app.task.Task.apply_async"), transaction.atomic():
            function()
            transaction.set_rollback(True)

    return run


def available_sweeps() -> list[tuple[str, Callable[[], object]]]:
    found = []
    for label, module_name, function_name in SWEEPS:
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError):
            continue
        found.append((label, function))
    return found


def measurements(filled: Filled, repeat: int, progress: Progress) -> dict[str, Measurement]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(username="scale").first()
    if user is None:
        user = get_user_model().objects.create_superuser("scale", password=secrets.token_hex())
    client = Client()
    client.force_login(user)
    sample = filled.sample_certificate_id
    targets: list[tuple[str, Callable[[], object], bool]] = [
        ("certificate list, first page", page(client, "/certificates/"), False),
        (
            "certificate list, search",
            page(client, "/certificates/?name=host-000123"),
            False,
        ),
        ("certificate list, expiring in 30 days", page(client, "/certificates/?expiry=30"), False),
        ("certificate list, revoked", page(client, "/certificates/?status=revoked"), False),
        ("dashboard", page(client, "/"), False),
        ("pending requests", page(client, "/acme/letsencrypt/pending/"), False),
        (
            "certificate history (API versions)",
            page(client, f"/api/v1/certificates/{sample}/versions/"),
            False,
        ),  # noqa: E501
        ("API certificate list", page(client, "/api/v1/certificates/"), False),
        (
            "API certificate list, search",
            page(client, "/api/v1/certificates/?name=host-000123"),
            False,
        ),  # noqa: E501
        ("API request list", page(client, "/api/v1/requests/"), False),
    ]
    targets += [(label, rolled_back(sweep), True) for label, sweep in available_sweeps()]
    results = {}
    for label, call, memory in targets:
        progress.show(f"measuring at {filled.certificates:,}: {label}", force=True)
        results[label] = measure(call, repeat, memory=memory)
    return results


def report(sizes: list[int], results: dict[int, dict[str, Measurement]], started) -> str:
    small, large = sizes[0], sizes[-1]
    header = ["measured", *[f"{s:,}: ms" for s in sizes], f"{large:,}/{small:,}",
              *[f"{s:,}: queries" for s in sizes], "sweep peak memory"]  # fmt: skip
    rows = []
    for label in results[small]:
        at = [results[s][label] for s in sizes]
        peaks = [m.peak_bytes for m in at]
        rows.append(
            [
                label,
                *[f"{m.seconds * 1000:.1f}" for m in at],
                f"{ratio(at[-1].seconds, at[0].seconds):.2f}x",
                *[str(m.queries) for m in at],
                " / ".join(f"{p / 1024:.0f} KiB" for p in peaks) if peaks[0] is not None else "-",
            ]
        )
    return "\n".join(
        [
            f"Scale benchmark, {started:%Y-%m-%d %H:%M} UTC, {machine_description()}, PostgreSQL",
            f"{DUE_SOON} certificates expire within 30 days and {OPEN_REQUESTS} requests are "
            "open at every size; times are the fastest of the runs, in the server process "
            "(Django test client), after a warm-up.",
            "",
            table(header, rows),
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", DEFAULT_POSTGRES))
    options = parser.parse_args(argv)
    sizes = sorted(int(s) for s in options.sizes.split(","))
    progress = Progress()
    started = datetime.datetime.now(datetime.UTC)
    database = create_database(options.postgres)
    progress.done(f"scale: database {database}")
    try:
        setup_django(f"{options.postgres.rsplit('/', 1)[0]}/{database}")
        filled = Filled()
        results = {}
        for size in sizes:
            fill_to(filled, size, progress)
            results[size] = measurements(filled, options.repeat, progress)
        progress.done("scale: done")
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(options.postgres, database)
    print(report(sizes, results, started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
