"""One shape for a request's settings and one key/signature menu (issue 9): renewal
repeats every setting, secrets stay out of the value's repr, and the form, the command
line and the action offer and accept the same menu."""

import re

import pytest
from django.core.exceptions import ValidationError

from acme_orders.actions import renew_certificate, request_certificate
from acme_orders.choices import KEY_SIZES_FOR_KEY, SIGNATURES_FOR_KEY
from acme_orders.forms import CertificateRequestForm
from acme_orders.keys import KeyProblem, check_key_choice
from acme_orders.models import Certificate, CertificateRequest
from acme_orders.request_settings import RequestSettings
from dns_providers.models import DnsAccount
from tests.factories import make_acme_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return make_acme_account()


def unusual_settings(account) -> RequestSettings:
    """Every setting away from its default, so a setting renewal drops shows."""
    return RequestSettings(
        account=account,
        domains=["WWW.Example.com", "api.example.com"],
        challenge_type="dns-01",
        key_algorithm="RSA",
        key_size=3072,
        signature_algorithm="SHA384withRSA",
        keystore_type="PKCS12",
        keystore_password="keystore-secret",
        key_policy="same",
        dns_account=DnsAccount.objects.create(name="Zone", provider="rfc2136"),
        profile="",
    )


def test_renewal_repeats_every_setting_of_the_issuing_request(account, operator):
    first = request_certificate(actor=operator, settings=unusual_settings(account))
    certificate = Certificate.objects.create(common_name="www.example.com", domains=first.domains)
    first.certificate = certificate
    first.save(update_fields=["certificate"])

    renewal = renew_certificate(certificate, actor=operator)

    assert RequestSettings.from_request(renewal) == RequestSettings.from_request(first)
    assert renewal.domains == ["www.example.com", "api.example.com"]
    assert renewal.keystore_password == "keystore-secret"
    assert renewal.certificate == certificate


def test_the_settings_never_show_their_secrets(account):
    settings = RequestSettings(
        **{**unusual_settings(account).__dict__, "imported_key_pem": "PASTED-KEY-TEXT"}
    )
    assert "keystore-secret" not in repr(settings)
    assert "PASTED-KEY-TEXT" not in repr(settings)


def tagged_options(field) -> set[tuple[str, str]]:
    html = str(CertificateRequestForm()[field])
    return set(re.findall(r'<option value="([^"]+)"[^>]*data-algorithm="([^"]+)"', html))


def test_the_form_tags_every_option_with_its_key_algorithm():
    """certlife.js offers the options whose data-algorithm is the chosen algorithm."""
    assert tagged_options("key_size") == {
        (str(size), algorithm) for algorithm, sizes in KEY_SIZES_FOR_KEY.items() for size in sizes
    }
    assert tagged_options("signature_algorithm") == {
        (signature, algorithm)
        for algorithm, signatures in SIGNATURES_FOR_KEY.items()
        for signature in signatures
    }


@pytest.mark.parametrize("algorithm", sorted(KEY_SIZES_FOR_KEY))
def test_the_action_accepts_exactly_the_menu(algorithm):
    other = next(name for name in KEY_SIZES_FOR_KEY if name != algorithm)
    for size in KEY_SIZES_FOR_KEY[algorithm]:
        for signature in SIGNATURES_FOR_KEY[algorithm]:
            check_key_choice(algorithm, size, signature)
        with pytest.raises(KeyProblem):
            check_key_choice(algorithm, size, SIGNATURES_FOR_KEY[other][0])
    for size in KEY_SIZES_FOR_KEY[other]:
        with pytest.raises(KeyProblem):
            check_key_choice(algorithm, size, SIGNATURES_FOR_KEY[algorithm][0])


def test_a_refused_setting_writes_nothing(account, operator):
    settings = RequestSettings(**{**unusual_settings(account).__dict__, "keystore_password": ""})
    with pytest.raises(ValidationError) as refused:
        request_certificate(actor=operator, settings=settings)
    assert set(refused.value.message_dict) == {"keystore_password"}
    assert not CertificateRequest.objects.exists()
