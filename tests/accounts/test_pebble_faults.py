"""External Account Binding and nonce rejection, against Pebble configured for them."""

import base64
import logging

import pytest

from accounts import ca_operations
from accounts.models import AcmeAccount

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ACCOUNTS = "/api/v1/accounts/"
EAB_KID = "certlife-eab-kid"
EAB_HMAC_KEY = base64.urlsafe_b64encode(b"certlife test EAB HMAC key 32 by").rstrip(b"=").decode()
WRONG_HMAC_KEY = base64.urlsafe_b64encode(b"not the key that Pebble knows!!!").rstrip(b"=").decode()


def registration(pebble, **overrides) -> dict:
    return {
        "name": "EAB CA",
        "email": "admin@certlife.test",
        "directory": pebble.directory_url,
        "agree_tos": True,
        **overrides,
    }


def test_external_account_binding_required_and_used(api_as, administrator, pebble_factory, trust):
    pebble = trust(pebble_factory(eab_mac_keys={EAB_KID: EAB_HMAC_KEY}))
    api = api_as(administrator)

    without = api.post(ACCOUNTS, registration(pebble), format="json")
    assert without.status_code == 400
    assert "requires External Account Binding" in without.json()["eab_kid"][0]

    wrong = api.post(
        ACCOUNTS,
        registration(pebble, eab_kid=EAB_KID, eab_hmac_key=WRONG_HMAC_KEY),
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["eab_hmac_key"][0]
    assert not AcmeAccount.objects.exists()

    bound = api.post(
        ACCOUNTS, registration(pebble, eab_kid=EAB_KID, eab_hmac_key=EAB_HMAC_KEY), format="json"
    )
    assert bound.status_code == 201, bound.content
    assert bound.json()["eab_kid"] == EAB_KID and "eab_hmac_key" not in bound.json()
    assert EAB_HMAC_KEY not in bound.content.decode()
    account = AcmeAccount.objects.get()
    assert ca_operations.find_existing_account(pebble.directory_url, account.key_pem).url == (
        account.account_url
    )


def test_register_and_update_survive_half_the_nonces_rejected(
    api_as, administrator, pebble_factory, trust, caplog
):
    caplog.set_level(logging.DEBUG, logger="certlife.retry")
    pebble = trust(pebble_factory(nonce_reject=50))
    api = api_as(administrator)

    for round_number in range(5):
        created = api.post(ACCOUNTS, registration(pebble), format="json")
        assert created.status_code == 201, (round_number, created.content)
        detail = f"{ACCOUNTS}{created.json()['id']}/"
        for email in ("one@certlife.test", "two@certlife.test"):
            updated = api.patch(detail, {"email": email}, format="json")
            assert updated.status_code == 200, (round_number, updated.content)
            assert updated.json()["email"] == email
        assert api.delete(detail).status_code == 204

    # Pebble did reject nonces, and the client retried them.
    assert "badNonce" in caplog.text and "Trying again at once" in caplog.text
