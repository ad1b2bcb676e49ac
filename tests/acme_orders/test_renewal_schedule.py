"""When a certificate renews (spec N3, N6) and what the renewal sweep picks, with the
clock given to it; nothing here talks to a CA (tests/acme_orders/test_renewal_e2e.py
does, against the vendored Pebble)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.acme.gateway import RenewalInfo
from acme_orders import renewal, tasks
from acme_orders.models import Certificate, CertificateRequest
from acme_orders.signals import automatic_renewal_failed
from agents.models import AgentMapping
from tests.acme_orders.renewal_helpers import pebble_like_certificate, saved_certificate
from tests.factories import make_acme_account, make_issued_request

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)


def lifetime(**length) -> tuple[datetime, datetime]:
    return NOT_BEFORE, NOT_BEFORE + timedelta(**length)


@pytest.mark.parametrize(
    ("length", "fraction"),
    [
        ({"days": 90}, 2 / 3),
        ({"days": 45}, 2 / 3),
        ({"hours": 160}, 1 / 2),
        ({"minutes": 4}, 1 / 2),
    ],
)
def test_the_lifetime_rule_is_two_thirds_and_one_half_under_ten_days(length, fraction):
    not_before, not_after = lifetime(**length)
    due, source = renewal.fallback_moment(not_before, not_after)
    ideal = not_before + (not_after - not_before) * fraction
    assert source == "lifetime"
    # The jitter moves it earlier by at most a hundredth of the lifetime.
    assert ideal - (not_after - not_before) / 100 <= due <= ideal


def test_renew_after_days_is_the_seeds_75_day_rule_but_never_past_a_short_lifetime(settings):
    settings.CERTLIFE_RENEW_AFTER_DAYS = 75
    assert renewal.fallback_moment(*lifetime(days=90)) == (
        NOT_BEFORE + timedelta(days=75),
        "setting",
    )
    due, source = renewal.fallback_moment(*lifetime(days=6))
    assert source == "lifetime" and due <= NOT_BEFORE + timedelta(days=3)


def test_a_fraction_setting(settings):
    settings.CERTLIFE_RENEW_AT_FRACTION = 0.8
    due, source = renewal.fallback_moment(*lifetime(days=100))
    assert source == "setting"
    assert NOT_BEFORE + timedelta(days=79) <= due <= NOT_BEFORE + timedelta(days=80)


def test_a_window_is_used_as_given_inside_a_long_lifetime():
    not_before, not_after = lifetime(days=90)
    start, end = NOT_BEFORE + timedelta(days=59), NOT_BEFORE + timedelta(days=61)
    moments = {renewal.moment_in_window(start, end, not_before, not_after) for _ in range(50)}
    assert all(start <= moment <= end for moment in moments)
    assert len(moments) > 40  # uniformly random, not one fixed point


def test_a_window_spanning_a_short_lifetime_is_cut_so_it_cannot_expire_first():
    # The vendored Pebble answers the whole validity as the window of a short certificate.
    not_before, not_after = lifetime(minutes=4)
    for _ in range(50):
        moment = renewal.moment_in_window(not_before, not_after, not_before, not_after)
        assert not_before <= moment <= not_before + timedelta(minutes=2)
    late = renewal.moment_in_window(
        not_after - timedelta(seconds=10), not_after, not_before, not_after
    )
    assert late == not_before + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (5, timedelta(minutes=1)),
        (3600, timedelta(hours=1)),
        (21600, timedelta(hours=6)),
        (7 * 86400, timedelta(hours=12)),  # a day at most, and twice a day at least
        (None, timedelta(hours=6)),
    ],
)
def test_retry_after_is_clamped(retry_after, wait):
    assert renewal.clamp_retry_after(retry_after) == wait


def test_backoff_is_one_ten_hundred_minutes_then_daily():
    waits = [renewal.backoff_after(failures) for failures in range(1, 7)]
    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes == [1, 10, 100, 1440, 1440, 1440]


# --- With certificates in the database ----------------------------------------------


def test_saving_a_version_records_its_origin_and_schedules_it(
    db, renewal_dns_account, no_network_tasks
):
    account = make_acme_account()
    certificate = saved_certificate(account, dns_account=renewal_dns_account)
    version = certificate.current_version
    assert version.account == account
    assert version.directory_url == account.directory_url
    assert len(version.key_fingerprint) == 95
    assert certificate.renewal_source == "lifetime"
    assert version.not_before < certificate.renewal_due_at < version.not_after
    assert certificate.ari_next_check_at <= timezone.now()  # ARI asked at once
    assert certificate.renewal_blocker == ""


def test_a_manual_http01_certificate_has_a_blocker(db, no_network_tasks):
    certificate = saved_certificate(make_acme_account())
    assert "No automated path for www.example.com" in certificate.renewal_blocker


def test_an_agent_mapping_is_an_automated_path(db, no_network_tasks):
    certificate = saved_certificate(make_acme_account())
    AgentMapping.objects.create(
        kind="linux",
        domain="*.example.com",
        host="192.0.2.10",
        username="deploy",
        password="pw-1234",
        web_root="/var/www",
        host_key_fingerprint="SHA256:" + "P" * 43,
    )
    assert renewal.automated_path_problem(certificate) == ""


def test_the_same_window_keeps_its_moment_and_a_bad_window_falls_back(db, renewal_dns_account):
    certificate = saved_certificate(make_acme_account(), dns_account=renewal_dns_account)
    version, now = certificate.current_version, timezone.now()
    start, end = version.not_before + timedelta(days=2), version.not_before + timedelta(days=4)
    info = RenewalInfo(start, end, "https://ca.example.net/why", 21600)
    renewal.apply_renewal_info(certificate, version, info, now)
    chosen = certificate.renewal_due_at
    assert certificate.renewal_source == "ari" and start <= chosen <= end
    assert certificate.ari_next_check_at == now + timedelta(hours=6)
    for _ in range(5):
        renewal.apply_renewal_info(certificate, version, info, now)
        assert certificate.renewal_due_at == chosen

    backwards = RenewalInfo(end, start, "", 60)
    renewal.apply_renewal_info(certificate, version, backwards, now)
    assert certificate.renewal_source == "lifetime"
    assert certificate.renewal_window_start is None
    assert certificate.ari_next_check_at == now + timedelta(hours=6)


@pytest.mark.django_db
def test_the_sweep_renews_exactly_the_due_automatable_certificates(
    renewal_dns_account, no_network_tasks
):
    account = make_acme_account()
    now = timezone.now() + timedelta(days=70)  # the clock moved on
    due = {"renewal_due_at": now - timedelta(minutes=1)}
    renews = saved_certificate(
        account, dns_account=renewal_dns_account, domains=["a.example.com"], **due
    )
    blocked = saved_certificate(account, domains=["b.example.com"], **due)
    not_due = saved_certificate(
        account, dns_account=renewal_dns_account, domains=["c.example.com"],
        renewal_due_at=now + timedelta(minutes=1),
    )  # fmt: skip
    switched_off = saved_certificate(
        account,
        dns_account=renewal_dns_account,
        domains=["d.example.com"],
        auto_renew=False,
        **due,
    )
    revoked = saved_certificate(
        account,
        dns_account=renewal_dns_account,
        domains=["e.example.com"],
        status="revoked",
        **due,
    )
    held = saved_certificate(
        account, dns_account=renewal_dns_account, domains=["f.example.com"],
        renewal_claimed_until=now + timedelta(minutes=5), **due,
    )  # fmt: skip

    result = renewal.run_renewal_sweep(now)

    assert result.started == [renews.pk]
    assert set(result.skipped) == {blocked.pk}
    started = CertificateRequest.objects.get(automatic=True)
    assert started.certificate == renews
    assert started.domains == ["a.example.com"]
    assert started.challenge_type == "dns-01" and started.dns_account == renewal_dns_account
    assert started.created_by is None
    renews.refresh_from_db()
    assert renews.renewal_last_attempt_at == now
    blocked.refresh_from_db()
    assert blocked.renewal_due_at == now + timedelta(hours=1)
    assert "No automated path" in blocked.renewal_blocker
    for untouched in (not_due, switched_off, revoked, held):
        assert not untouched.requests.filter(automatic=True).exists()

    # A second sweep in the same window renews nothing twice, nor does one after the
    # claim ran out while the renewal still runs.
    assert renewal.run_renewal_sweep(now).started == []
    later = renewal.run_renewal_sweep(now + timedelta(hours=2))
    assert renews.pk not in later.started
    assert later.skipped[renews.pk] == "A renewal is already running."
    assert renews.requests.filter(automatic=True).count() == 1


def test_two_sweeps_claiming_one_certificate_start_one_renewal(db, renewal_dns_account):
    certificate = saved_certificate(make_acme_account(), dns_account=renewal_dns_account)
    now = certificate.renewal_due_at
    assert renewal.claim_for_renewal(certificate.pk, now) is True
    assert renewal.claim_for_renewal(certificate.pk, now) is False


@pytest.mark.django_db
def test_a_failure_backs_off_alerts_at_once_and_is_kept(renewal_dns_account, no_network_tasks):
    account = make_acme_account()
    certificate = saved_certificate(account, dns_account=renewal_dns_account)
    account.status = "deactivated"
    account.save()
    alerts = []

    def receive(sender, certificate, error, **kwargs):
        alerts.append((certificate.pk, error))

    automatic_renewal_failed.connect(receive)
    try:
        now = certificate.renewal_due_at
        result = renewal.run_renewal_sweep(now)
    finally:
        automatic_renewal_failed.disconnect(receive)
    certificate.refresh_from_db()
    assert result.started == []
    assert certificate.renewal_failures == 1
    assert certificate.renewal_next_attempt_at == now + timedelta(minutes=1)
    assert certificate.renewal_due_at == certificate.renewal_next_attempt_at
    assert "deactivated" in certificate.renewal_last_error
    assert alerts == [(certificate.pk, certificate.renewal_last_error)]
    assert renewal.run_renewal_sweep(now + timedelta(seconds=59)).skipped == {}


@pytest.mark.django_db
def test_a_staging_certificate_never_renews_into_production(renewal_dns_account, no_network_tasks):
    certificate = saved_certificate(make_acme_account(), dns_account=renewal_dns_account)
    certificate.current_version.directory_url = "https://acme-v02.api.letsencrypt.org/directory"
    certificate.current_version.save()
    result = renewal.run_renewal_sweep(certificate.renewal_due_at)
    certificate.refresh_from_db()
    assert result.started == []
    assert "a staging or test certificate never replaces a production one" in (
        certificate.renewal_last_error
    )
    assert not CertificateRequest.objects.filter(automatic=True).exists()


@pytest.mark.django_db
def test_sweeps_cost_the_same_queries_for_10_and_10000_certificates(
    renewal_dns_account, no_network_tasks
):
    account = make_acme_account()
    template = saved_certificate(account, dns_account=renewal_dns_account)
    now = timezone.now()
    # Two due certificates without an automated path, so the due path runs too.
    for name in ("x.example.com", "y.example.com"):
        saved_certificate(account, domains=[name], renewal_due_at=now - timedelta(hours=1))

    def not_due(count: int) -> None:
        Certificate.objects.bulk_create(
            Certificate(
                common_name=f"n{i}.example.com",
                domains=[f"n{i}.example.com"],
                current_version=template.current_version,
                renewal_due_at=now + timedelta(days=30),
                ari_next_check_at=now + timedelta(hours=6),
            )
            for i in range(count)
        )

    def sweep_queries() -> int:
        Certificate.objects.filter(renewal_blocker__contains="No automated").update(
            renewal_due_at=now - timedelta(hours=1), renewal_claimed_until=None
        )
        with CaptureQueriesContext(connection) as queries:
            renewal.run_renewal_sweep(now)
            tasks.refresh_due_renewal_infos()
        return len(queries)

    not_due(10)
    with_ten = sweep_queries()
    not_due(9990)
    assert Certificate.objects.count() > 10_000
    assert sweep_queries() == with_ten


def test_replaces_only_for_a_version_of_the_same_account(db, renewal_dns_account, no_network_tasks):
    account = make_acme_account()
    certificate = saved_certificate(account, dns_account=renewal_dns_account)
    version = certificate.current_version
    version.certificate_pem = pebble_like_certificate()
    request = certificate.requests.get()
    assert renewal.replaces_for(version, request) == renewal.gateway.renewal_cert_id(
        renewal.x509.load_pem_x509_certificate(version.certificate_pem.encode())
    )
    version.account = make_acme_account(name="Another", directory="other.example.net")
    assert renewal.replaces_for(version, request) == ""
    assert renewal.replaces_for(None, request) == ""


def test_the_sweep_saves_an_issued_automatic_renewal_a_stopped_worker_left(
    db, renewal_dns_account, no_network_tasks
):
    account = make_acme_account()
    certificate = saved_certificate(account, dns_account=renewal_dns_account)
    issued = make_issued_request(account, domains=certificate.domains)
    CertificateRequest.objects.filter(pk=issued.pk).update(automatic=True, certificate=certificate)
    renewal.run_renewal_sweep()
    certificate.refresh_from_db()
    assert certificate.versions.count() == 2
    assert certificate.current_version.created_by_name == "scheduler"
    assert CertificateRequest.objects.get(pk=issued.pk).status == "saved"
