"""ACME profiles (spec R7): offered from the directory's meta.profiles, with name limits,
checked against them when a request is created, and sent in newOrder. Pebble 2.4 has
no profiles, so a small ACME server stands in for the CA: it serves a directory, takes
newOrder and answers the order's authorization, recording every signed request."""

import base64
import json

import pytest
from acme import messages
from django.test import Client

from accounts.acme.directory import forget_cached_directories
from accounts.acme_client import acme_client_for
from accounts.choices import AccountStatus
from accounts.models import AcmeAccount
from acme_orders import pipeline
from acme_orders.models import CertificateRequest
from acme_orders.profiles import offered_profiles, profile_problem
from tests.accounts.fake_ca import CannedAnswer, FakeCa
from tests.acme_orders.e2e_helpers import new_request
from tests.factories import make_key_pem
from tests.harness.connections import connections_recorded

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


PROFILES_URL = "/acme/letsencrypt/request/profiles/"


def account_at(directory_url: str) -> AcmeAccount:
    return AcmeAccount.objects.create(
        name="Profiled CA",
        email="ops@example.com",
        directory_url=directory_url,
        key_pem=make_key_pem(),
        account_url=directory_url.rsplit("/", 1)[0] + "/acct/1",
        status=AccountStatus.VALID,
    )


@pytest.fixture
def profiled_ca(allow_loopback):
    """A CA on loopback (allowed) whose directory offers PROFILES."""
    forget_cached_directories()
    with FakeCa() as ca:
        ca._directory = {**ca.directory(), "meta": {"profiles": PROFILES}}
        yield ca
    forget_cached_directories()


@pytest.mark.django_db
def test_request_form_offers_the_profiles_of_the_chosen_account(client, operator, profiled_ca):
    account = account_at(profiled_ca.directory_url)
    client.force_login(operator)
    fragment = client.post(
        PROFILES_URL, {"account": account.pk, "profile": "tlsserver"}
    ).content.decode()
    assert '<option value="tlsserver" selected>' in fragment
    assert (
        "shortlived: https://letsencrypt.org/docs/profiles#shortlived (up to 25 names)" in fragment
    )
    form_page = client.get("/acme/letsencrypt/request/").content.decode()
    assert f'hx-post="{PROFILES_URL}"' in form_page and "hx-get" not in form_page
    assert 'hx-params="account,profile"' in form_page


@pytest.mark.django_db
def test_the_profiles_are_read_by_a_post_with_the_csrf_token(operator, profiled_ca):
    account = account_at(profiled_ca.directory_url)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get("/acme/letsencrypt/request/")
    assert browser.get(PROFILES_URL, {"account": account.pk}).status_code == 405
    assert browser.post(PROFILES_URL, {"account": account.pk}).status_code == 403
    assert profiled_ca.received == []
    token = browser.cookies["csrftoken"].value
    answer = browser.post(PROFILES_URL, {"account": account.pk}, HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200 and '<option value="classic"' in answer.content.decode()


@pytest.mark.django_db
def test_an_unreachable_directory_is_said_plainly(client, operator, allow_loopback):
    forget_cached_directories()
    account = account_at("http://127.0.0.1:9/directory")
    client.force_login(operator)
    fragment = client.post(PROFILES_URL, {"account": account.pk})
    assert "could not be read" in fragment.content.decode()
    assert 'name="profile"' in fragment.content.decode()
    assert client.post(PROFILES_URL, {"account": "not-a-number"}).status_code == 200


def request_body(account, **overrides) -> dict:
    return {
        "account": account.pk,
        "domains": ["www.example.com"],
        "challenge_type": "http-01",
        "key_algorithm": "EC",
        "key_size": 256,
        "signature_algorithm": "SHA256withECDSA",
        "keystore_type": "PEM",
        **overrides,
    }


@pytest.mark.django_db
def test_a_profile_the_ca_offers_is_accepted(api_as, operator, profiled_ca):
    account = account_at(profiled_ca.directory_url)
    created = api_as(operator).post(
        "/api/v1/requests/", request_body(account, profile="tlsserver"), format="json"
    )
    assert created.status_code == 201, created.content
    assert CertificateRequest.objects.get().profile == "tlsserver"


@pytest.mark.parametrize(
    ("offered", "profile", "words"),
    [
        (
            PROFILES,
            "gold",
            "The CA offers the profiles classic, shortlived, tlsserver, not 'gold'.",
        ),
        (
            None,
            "classic",
            "The CA offers no ACME profiles; leave the profile empty (not 'classic').",
        ),
    ],
)
@pytest.mark.django_db
def test_a_profile_the_ca_does_not_offer_is_a_400_on_profile(
    api_as, operator, profiled_ca, offered, profile, words
):
    profiled_ca._directory["meta"] = {"profiles": offered} if offered else {}
    account = account_at(profiled_ca.directory_url)
    answer = api_as(operator).post(
        "/api/v1/requests/", request_body(account, profile=profile), format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json() == {"profile": [words]}
    assert not CertificateRequest.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_directory_refuses_a_profile_but_not_the_default(
    api_as, operator, allow_loopback, closed_port
):
    forget_cached_directories()
    account = account_at(f"http://127.0.0.1:{closed_port}/directory")
    api = api_as(operator)
    with connections_recorded() as connected:
        answer = api.post("/api/v1/requests/", request_body(account), format="json")
    assert answer.status_code == 201 and connected == []  # the CA's default: no network

    refused = api.post("/api/v1/requests/", request_body(account, profile="classic"), format="json")
    assert refused.status_code == 400
    (message,) = refused.json()["profile"]
    assert message.startswith(
        "The CA's directory could not be read, so the profile 'classic' cannot be checked: "
        f"Cannot reach the CA at 127.0.0.1:{closed_port}"
    )
    assert CertificateRequest.objects.count() == 1


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
def test_the_order_carries_the_request_profile_and_none_without_one(
    profile, administrator, allow_loopback
):
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
