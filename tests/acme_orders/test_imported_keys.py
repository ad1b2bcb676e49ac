"""An imported certificate key (spec R5) through the action, the API and the Request
form: only an offered shape, the one the request declares; anything else is refused
naming `imported_key_pem` and the rule, nothing is written, and the key is never shown
back."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from acme_orders.actions import request_certificate
from acme_orders.models import CertificateRequest
from acme_orders.request_settings import RequestSettings
from tests.factories import make_acme_account
from tests.key_samples import (
    NOT_ONE_KEY,
    OFFERED,
    REFUSED_SHAPES,
    not_one_key,
    pem_of,
    secret_lines,
)

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/requests/"
CHOICES = {
    "RSA 2048": ("RSA", 2048, "SHA256withRSA"),
    "RSA 3072": ("RSA", 3072, "SHA256withRSA"),
    "RSA 4096": ("RSA", 4096, "SHA384withRSA"),
    "EC P-256": ("EC", 256, "SHA256withECDSA"),
    "EC P-384": ("EC", 384, "SHA384withECDSA"),
}


@pytest.fixture
def account():
    return make_acme_account()


def body(account, *, declared="EC P-256", **overrides) -> dict:
    algorithm, size, signature = CHOICES[declared]
    return {
        "account": account.pk,
        "domains": ["www.example.com"],
        "challenge_type": "http-01",
        "key_algorithm": algorithm,
        "key_size": size,
        "signature_algorithm": signature,
        "keystore_type": "PEM",
        "key_policy": "import",
        **overrides,
    }


def refusal(api, account, key_pem: str, *, declared="EC P-256") -> str:
    """The imported_key_pem message of a refused POST; checks the 400 and that nothing
    was written or echoed."""
    answer = api.post(REQUESTS, body(account, declared=declared, imported_key_pem=key_pem))
    assert answer.status_code == 400, answer.content[:500]
    assert set(answer.json()) == {"imported_key_pem"}
    assert not CertificateRequest.objects.exists()
    assert not any(line in answer.content.decode() for line in secret_lines(key_pem))
    return answer.json()["imported_key_pem"][0]


@pytest.fixture
def api(api_as, operator):
    client = api_as(operator)
    client.default_format = "json"
    return client


@pytest.mark.parametrize("shape", OFFERED)
def test_every_offered_shape_is_accepted_when_declared(api, account, shape):
    answer = api.post(REQUESTS, body(account, declared=shape, imported_key_pem=pem_of(shape)))
    assert answer.status_code == 201, answer.content
    assert CertificateRequest.objects.get().imported_key_pem == pem_of(shape).strip()


@pytest.mark.parametrize(
    ("declared", "pasted"),
    [("RSA 2048", "RSA 4096"), ("EC P-256", "EC P-384"), ("EC P-384", "RSA 3072")],
)
def test_a_key_of_another_shape_than_declared_is_a_400(api, account, declared, pasted):
    message = refusal(api, account, pem_of(pasted), declared=declared)
    assert message.startswith(f"The key is {pasted} but the request declares {declared}")


@pytest.mark.parametrize("shape", sorted(REFUSED_SHAPES))
def test_shapes_not_offered_are_a_400_naming_the_rule(api, account, shape):
    assert REFUSED_SHAPES[shape] in refusal(api, account, pem_of(shape))


@pytest.mark.parametrize("case", sorted(NOT_ONE_KEY))
def test_pastes_that_are_not_one_key_are_a_400_naming_the_rule(api, account, case):
    assert NOT_ONE_KEY[case][1] in refusal(api, account, not_one_key(case))


@pytest.mark.parametrize("case", ["RSA 8192", "EC secp256k1", "two keys", "10 MB"])
def test_the_action_refuses_them_too(operator, account, case):
    if case == "10 MB":
        key_pem = pem_of("EC P-256") + "A" * 10_000_000
    else:
        key_pem = pem_of(case) if case in REFUSED_SHAPES else not_one_key(case)
    arguments = {**body(account), "account": account, "imported_key_pem": key_pem}
    with pytest.raises(ValidationError) as refused:
        request_certificate(actor=operator, settings=RequestSettings(**arguments))
    assert set(refused.value.message_dict) == {"imported_key_pem"}
    assert not CertificateRequest.objects.exists()


def test_the_request_form_never_shows_the_pasted_key_or_password_again(client, operator, account):
    client.force_login(operator)
    key_pem = pem_of("RSA 2048")
    form = {
        **body(account, declared="RSA 2048"),
        "domains": "intranet.corp",  # refused: the form comes back with the error
        "keystore_type": "PKCS12",
        "keystore_password": "keystore-pass-0f9e8d",
        "imported_key_pem": key_pem,
    }
    page = client.post(reverse("request-create"), form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "public suffix" in html
    assert not any(line in html for line in secret_lines(key_pem))
    assert "keystore-pass-0f9e8d" not in html
    assert re.search(r'<textarea name="imported_key_pem"[^>]*>\s*</textarea>', html)
    assert not CertificateRequest.objects.exists()
