"""An imported ACME account key (spec A5): only the shapes certlife offers (RSA 2048,
3072, 4096, EC P-256, P-384), one unencrypted PEM private key; anything else is a 400
naming `key_pem` and the rule, refused before the CA is asked, nothing written, and
the key never shown back by the API or the forms."""

import re

import josepy as jose
import pytest
from django.core.exceptions import ValidationError

from accounts.acme.keys import jwk_and_algorithm, load_account_key
from accounts.actions import import_account
from accounts.errors import UnsupportedAccountKeyError
from accounts.models import AcmeAccount
from tests.key_samples import (
    EXTRAS,
    NOT_ONE_KEY,
    OFFERED,
    REFUSED_SHAPES,
    not_one_key,
    pem_of,
    pem_with_extras,
    secret_lines,
)

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/accounts/import/"
# No CA answers here: every refusal below happens before one would be asked.
DIRECTORY = "https://ca.example.net/directory"
SIGNING_ALGORITHMS = {
    "RSA 2048": jose.RS256,
    "RSA 3072": jose.RS256,
    "RSA 4096": jose.RS256,
    "EC P-256": jose.ES256,
    "EC P-384": jose.ES384,
}


def refusal(api_as, administrator, key_pem: str) -> str:
    body = {"name": "Imported", "email": "a@example.com", "directory": DIRECTORY}
    answer = api_as(administrator).post(IMPORT, {**body, "key_pem": key_pem}, format="json")
    assert answer.status_code == 400, answer.content[:500]
    assert set(answer.json()) == {"key_pem"}
    assert not AcmeAccount.objects.exists()
    assert not any(line in answer.content.decode() for line in secret_lines(key_pem))
    return answer.json()["key_pem"][0]


@pytest.mark.parametrize("shape", OFFERED)
def test_every_offered_shape_is_an_account_key_and_signs_with_its_algorithm(shape):
    load_account_key(pem_of(shape))
    _, algorithm = jwk_and_algorithm(pem_of(shape))
    assert algorithm == SIGNING_ALGORITHMS[shape]


@pytest.mark.parametrize("kind", EXTRAS)
def test_real_world_wrappings_of_one_key_are_accepted(kind):
    load_account_key(pem_with_extras(kind))


@pytest.mark.parametrize("shape", sorted(REFUSED_SHAPES))
def test_shapes_not_offered_are_a_400_naming_the_rule(api_as, administrator, shape):
    assert REFUSED_SHAPES[shape] in refusal(api_as, administrator, pem_of(shape))


@pytest.mark.parametrize("case", sorted(NOT_ONE_KEY))
def test_pastes_that_are_not_one_key_are_a_400_naming_the_rule(api_as, administrator, case):
    assert NOT_ONE_KEY[case][1] in refusal(api_as, administrator, not_one_key(case))


@pytest.mark.parametrize("case", ["RSA 2049", "EC P-521", "10 MB"])
def test_the_action_and_the_client_refuse_them_too(administrator, case):
    key_pem = pem_of("EC P-256") + "A" * 10_000_000 if case == "10 MB" else pem_of(case)
    with pytest.raises(UnsupportedAccountKeyError):
        load_account_key(key_pem)
    with pytest.raises(ValidationError) as refused:
        import_account(
            actor=administrator, name="x", email="a@example.com", directory=DIRECTORY,
            key_pem=key_pem,
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"key_pem"}
    assert not AcmeAccount.objects.exists()


def test_the_import_form_never_shows_the_pasted_key_again(client, administrator):
    client.force_login(administrator)
    key_pem = pem_of("RSA 2048")
    page = client.post(
        "/manage/accounts/import/",
        {"name": "Again", "email": "not-an-address", "directory_choice": "custom",
         "custom_directory_url": DIRECTORY, "key_pem": key_pem},
    ).content.decode()  # fmt: skip
    assert "Enter a valid email address." in page
    assert not any(line in page for line in secret_lines(key_pem))
    assert re.search(r'<textarea name="key_pem"[^>]*>\s*</textarea>', page)
    assert not AcmeAccount.objects.exists()


def test_the_register_form_never_shows_the_eab_hmac_key_again(client, administrator):
    client.force_login(administrator)
    hmac_key = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
    page = client.post(
        "/manage/accounts/register/",
        {"name": "EAB CA", "email": "not-an-address", "directory_choice": "custom",
         "custom_directory_url": DIRECTORY, "eab_kid": "kid-1", "eab_hmac_key": hmac_key,
         "agree_tos": "on"},
    ).content.decode()  # fmt: skip
    assert "Enter a valid email address." in page
    assert hmac_key not in page
    assert "kid-1" in page  # the key ID is not secret and comes back
    assert not AcmeAccount.objects.exists()
