"""Cheap refusals first: too many names, or a name far too long, are refused before
any name is converted or checked. A spy counts the per-name work (not the clock)."""

from collections import Counter

import pytest
from rest_framework import serializers

from acme_orders import names
from acme_orders.models import CertificateRequest
from acme_orders.names import InvalidDomainNames, normalize_domains
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db

A_MILLION_NAMES = ["www.example.com"] * 1_000_000


@pytest.fixture
def per_name_work(monkeypatch):
    """How often each per-name step ran: the IDNA conversion and the name rules, and
    the serializer's validation of one string."""
    calls: Counter = Counter()

    def spy(owner, attribute):
        real = getattr(owner, attribute)

        def counted(*args, **kwargs):
            calls[attribute] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, attribute, counted)

    spy(names, "to_ascii")
    spy(names, "name_problem")
    spy(serializers.CharField, "run_validation")
    return calls


@pytest.fixture
def account():
    return make_acme_account()


def request_body(account, domains):
    return {
        "account": account.pk,
        "domains": domains,
        "challenge_type": "http-01",
        "key_algorithm": "EC",
        "key_size": 256,
        "signature_algorithm": "SHA256withECDSA",
        "keystore_type": "PEM",
    }


def test_a_million_names_are_refused_before_any_is_read(per_name_work):
    with pytest.raises(InvalidDomainNames) as refused:
        normalize_domains(A_MILLION_NAMES, challenge_type="http-01")
    assert refused.value.messages == ["At most 100 names per certificate; 1000000 given."]
    assert per_name_work["to_ascii"] == per_name_work["name_problem"] == 0


def test_the_count_follows_the_profile_limit_and_counts_duplicates(per_name_work):
    with pytest.raises(InvalidDomainNames, match="At most 25 names per certificate; 26 given"):
        normalize_domains(["www.example.com"] * 26, challenge_type="http-01", max_names=25)
    assert per_name_work["to_ascii"] == 0


def test_a_ten_megabyte_name_is_refused_unread(per_name_work):
    with pytest.raises(InvalidDomainNames, match="is longer than 253 characters"):
        normalize_domains(["ok.example.com", "x" * 10_000_000], challenge_type="http-01")
    assert per_name_work["to_ascii"] == per_name_work["name_problem"] == 0


@pytest.fixture
def unlimited_body(settings):
    """No body-size limit, so the serializer's own count-first check is what refuses
    (the body limit refuses these bodies first in production)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None


def test_the_api_counts_the_names_before_validating_one(
    api_as, administrator, account, per_name_work, unlimited_body
):
    response = api_as(administrator).post(
        "/api/v1/requests/", request_body(account, A_MILLION_NAMES[:100_000]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"domains": ["At most 100 names per certificate."]}
    # The body's few other strings, not one per name.
    assert per_name_work["run_validation"] < 10
    assert per_name_work["to_ascii"] == 0
    assert not CertificateRequest.objects.exists()


def test_the_api_refuses_a_huge_name_by_its_length(
    api_as, administrator, account, per_name_work, unlimited_body
):
    response = api_as(administrator).post(
        "/api/v1/requests/", request_body(account, ["x" * 1_000_000]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["domains"] == {
        "0": ["Ensure this field has no more than 300 characters."]
    }
    assert per_name_work["to_ascii"] == 0


def test_the_request_form_refuses_many_or_huge_names_unread(
    client, administrator, account, per_name_work
):
    client.force_login(administrator)
    form = {**request_body(account, []), "key_policy": "new"}
    thousand_lines = "\n".join(f"n{number}.example.com" for number in range(1000))
    page = client.post("/acme/letsencrypt/request/", {**form, "domains": thousand_lines})
    assert page.status_code == 200
    assert page.context["form"].errors["domains"] == [
        "At most 100 names per certificate; 1000 given."
    ]
    page = client.post("/acme/letsencrypt/request/", {**form, "domains": "x" * 40_000})
    assert (
        "Ensure this value has at most 30200 characters"
        in page.context["form"].errors["domains"][0]
    )
    assert per_name_work["to_ascii"] == per_name_work["name_problem"] == 0
    assert not CertificateRequest.objects.exists()
