"""ACME profiles (spec R7): offered from the directory's meta.profiles, with name limits,
and sent in newOrder. Pebble 2.4 has no profiles, so a small ACME server stands in for
the CA: it serves a directory, takes newOrder and answers the order's authorization,
recording every signed request it receives."""

import base64
import json

import pytest
from acme import messages

from accounts.acme_client import acme_client_for, forget_cached_directories
from accounts.choices import AccountStatus
from accounts.models import AcmeAccount
from acme_orders import pipeline
from acme_orders.profiles import offered_profiles, profile_problem
from tests.accounts.fake_ca import CannedAnswer, FakeCa
from tests.acme_orders.e2e_helpers import new_request
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


def jws_payload(body: bytes) -> dict:
    payload = json.loads(body)["payload"]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def order_answers(ca: FakeCa, name: str) -> list[CannedAnswer]:
    """What a CA answers to newOrder for one name, then to the POST-as-GET of its
    authorization."""
    order = {
        "status": "pending",
        "identifiers": [{"type": "dns", "value": name}],
        "authorizations": [ca.url + "/authz/1"],
        "finalize": ca.url + "/order/1/finalize",
    }
    authorization = {
        "status": "pending",
        "identifier": {"type": "dns", "value": name},
        "challenges": [
            {"type": "http-01", "url": ca.url + "/chall/1", "token": "t" * 43, "status": "pending"}
        ],
    }
    return [
        CannedAnswer(201, order, {"Location": ca.url + "/order/1"}),
        CannedAnswer(200, authorization),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["tlsserver", ""])
def test_the_order_carries_the_request_profile_and_none_without_one(profile, administrator):
    forget_cached_directories()
    with FakeCa() as ca:
        ca._directory = {
            **ca.directory(),
            "newOrder": ca.url + "/new-order",
            "meta": {"profiles": PROFILES},
        }
        account = AcmeAccount.objects.create(
            name="Profiled CA",
            email="ops@example.com",
            directory_url=ca.directory_url,
            key_pem=make_key_pem(),
            account_url=ca.url + "/acct/1",
        )
        request = new_request(account, administrator, ["profiled.example.com"], profile=profile)
        ca.script = order_answers(ca, "profiled.example.com")
        pipeline.advance(request, acme_client_for(account))

    (new_order,) = [post for post in ca.posts() if post.path == "/new-order"]
    sent = jws_payload(new_order.body)
    assert sent["identifiers"] == [{"type": "dns", "value": "profiled.example.com"}]
    if profile:
        assert sent["profile"] == profile
    else:
        assert "profile" not in sent
    request.refresh_from_db()
    assert request.order_url == ca.url + "/order/1"
