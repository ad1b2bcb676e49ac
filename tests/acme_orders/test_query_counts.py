"""Every list page, API listing and the stalled-request sweep make the same number of
queries for a few rows as for many: no query per row (bench/scale.py measures the
time at 100,000 certificates; these guard the count on every run)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from acme_orders import tasks
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion, Challenge
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/certificates/",
    "/certificates/?name=example&expiry=later",
    "/certificates/?expiry=30",
    "/api/v1/certificates/?expiry=expired",
    "/acme/letsencrypt/pending/",
    "/api/v1/certificates/",
    "/api/v1/certificates/?status=active",
    "/api/v1/requests/",
    "/api/v1/requests/?status=pending",
]


def add_certificates(account, count: int) -> list[Certificate]:
    """`count` certificates with two versions and the request that saved each."""
    now = timezone.now()
    made = []
    for _ in range(count):
        n = Certificate.objects.count()
        name = f"host-{n}.example.com"
        certificate = Certificate.objects.create(common_name=name, domains=[name, f"www.{name}"])
        for age in (1, 0):
            version = CertificateVersion.objects.create(
                certificate=certificate,
                serial_number=f"{n:06x}{age}",
                issuer="Test Issuer R1",
                key_type="EC P-256",
                not_before=now - timedelta(days=90 * age + 30),
                not_after=now + timedelta(days=60 - 90 * age),
                certificate_pem="-----BEGIN CERTIFICATE-----\n",
                private_key_pem="",
                account=account,
            )
        certificate.current_version = version
        certificate.save(update_fields=["current_version"])
        add_request(account, [name], status="saved", certificate=certificate)
        made.append(certificate)
    return made


def add_request(account, domains, *, status="pending", certificate=None) -> CertificateRequest:
    request = CertificateRequest.objects.create(
        account=account,
        domains=domains,
        challenge_type="http-01",
        key_algorithm="EC",
        key_size=256,
        signature_algorithm="SHA256withECDSA",
        keystore_type="PEM",
        status=status,
        certificate=certificate,
    )
    for domain in domains:
        Challenge.objects.create(
            request=request,
            domain=domain,
            type="http-01",
            authorization_url=f"https://ca.example.net/authz/{request.pk}-{domain}",
            token=f"token-{request.pk}",
        )
    return request


def add_rows(count: int) -> None:
    """Certificates (and their history and saved requests) plus open requests of
    several accounts, so a list whose rows each asked for their account would show."""
    accounts = [
        make_acme_account(name=f"CA {n}", directory=f"ca{n}-{count}.example.net") for n in (1, 2)
    ]
    for account in accounts:
        add_certificates(account, count)
        for n in range(count):
            add_request(account, [f"open-{n}-{account.pk}.example.com", "other.example.com"])


def queries_for(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@pytest.mark.parametrize("url", PAGES)
def test_a_list_makes_as_many_queries_for_many_rows_as_for_one(url, client, administrator):
    client.force_login(administrator)
    add_rows(1)
    client.get(url)  # the session and the permission caches, once
    few = queries_for(lambda: client.get(url))
    add_rows(6)
    response = None

    def get():
        nonlocal response
        response = client.get(url)

    many = queries_for(get)
    assert response.status_code == 200
    assert many == few, f"{url}: {few} queries for a few rows, {many} for more"


def test_a_certificate_history_makes_as_many_queries_for_many_versions_as_for_two(
    client, administrator
):
    client.force_login(administrator)
    account = make_acme_account()
    (certificate,) = add_certificates(account, 1)
    url = f"/api/v1/certificates/{certificate.pk}/versions/"
    client.get(url)
    few = queries_for(lambda: client.get(url))
    now = timezone.now()
    for n in range(8):
        CertificateVersion.objects.create(
            certificate=certificate,
            serial_number=f"old{n}",
            issuer="Test Issuer R1",
            key_type="EC P-256",
            not_before=now - timedelta(days=400),
            not_after=now - timedelta(days=300 + n),
            certificate_pem="-----BEGIN CERTIFICATE-----\n",
            private_key_pem="",
            account=account,
        )
    assert queries_for(lambda: client.get(url)) == few


def test_the_stalled_request_sweep_queries_do_not_grow_with_finished_requests(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.advance_certificate_request, "delay", sent.append)
    add_rows(1)
    few = queries_for(tasks.resume_stalled_requests)
    add_rows(6)
    assert queries_for(tasks.resume_stalled_requests) == few
    assert sent == []  # nothing was stalled
