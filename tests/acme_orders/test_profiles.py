"""ACME profiles (spec R7): offered from the directory's meta.profiles, with name limits.
Pebble 2.4 has no profiles, so a small directory server stands in for the CA."""

import pytest
from acme import messages

from accounts.acme_client import forget_cached_directories
from accounts.choices import AccountStatus
from accounts.models import AcmeAccount
from acme_orders.profiles import offered_profiles, profile_problem
from tests.accounts.fake_ca import FakeCa
from tests.factories import make_key_pem

PROFILES = {
    "classic": "The same profile you've always known",
    "tlsserver": "https://letsencrypt.org/docs/profiles#tlsserver",
    "shortlived": "https://letsencrypt.org/docs/profiles#shortlived",
}


def directory_with(profiles: dict | None) -> messages.Directory:
    body = {"newNonce": "https://ca/nonce", "meta": {"profiles": profiles} if profiles else {}}
    return messages.Directory.from_json(body)


def test_offered_profiles_carry_their_name_limits():
    offered = {p.name: p.max_names for p in offered_profiles(directory_with(PROFILES))}
    assert offered == {"classic": 100, "tlsserver": 25, "shortlived": 25}
    assert offered_profiles(directory_with(None)) == []


def test_profile_problems():
    assert profile_problem(directory_with(PROFILES), "tlsserver") is None
    assert profile_problem(directory_with(PROFILES), "") is None
    assert "not 'gold'" in profile_problem(directory_with(PROFILES), "gold")
    assert "offers no ACME profiles" in profile_problem(directory_with(None), "classic")


@pytest.mark.django_db
def test_request_form_offers_the_profiles_of_the_chosen_account(client, operator):
    forget_cached_directories()
    with FakeCa() as ca:
        ca._directory = {**ca.directory(), "meta": {"profiles": PROFILES}}
        account = AcmeAccount.objects.create(
            name="Profiled CA",
            email="ops@example.com",
            directory_url=ca.directory_url,
            key_pem=make_key_pem(),
            account_url=ca.url + "/acct/1",
            status=AccountStatus.VALID,
        )
        client.force_login(operator)
        fragment = client.get(
            "/acme/letsencrypt/request/profiles/", {"account": account.pk, "profile": "tlsserver"}
        ).content.decode()
    assert '<option value="tlsserver" selected>' in fragment
    assert (
        "shortlived: https://letsencrypt.org/docs/profiles#shortlived (up to 25 names)" in fragment
    )
    form_page = client.get("/acme/letsencrypt/request/").content.decode()
    assert 'hx-get="/acme/letsencrypt/request/profiles/"' in form_page


@pytest.mark.django_db
def test_an_unreachable_directory_is_said_plainly(client, operator):
    forget_cached_directories()
    account = AcmeAccount.objects.create(
        name="Gone CA",
        email="ops@example.com",
        directory_url="http://127.0.0.1:9/directory",
        key_pem=make_key_pem(),
        account_url="http://127.0.0.1:9/acct/1",
    )
    client.force_login(operator)
    fragment = client.get("/acme/letsencrypt/request/profiles/", {"account": account.pk})
    assert "could not be read" in fragment.content.decode()
    assert 'name="profile"' in fragment.content.decode()
