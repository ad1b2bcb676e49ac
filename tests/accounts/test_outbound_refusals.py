"""The ACME client and account actions refuse private destinations and URLs with
credentials (certlife.outbound), as a 400 on `directory`, before any connection.
CERTLIFE_ALLOWED_PRIVATE_NETWORKS is unset here unless a test allows a network."""

import ipaddress
import json

import pytest
from acme import messages

from accounts.acme.directory import fetch_directory
from accounts.acme.keys import generate_account_key_pem
from accounts.acme_client import acme_client_for_key
from accounts.errors import DestinationRefusedError
from accounts.models import AcmeAccount
from certlife.choices import AuditOutcome
from certlife.models import AuditEvent
from tests.accounts.fake_ca import FakeCa, Redirector
from tests.harness.connections import connections_recorded

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"
LOOPBACK_REFUSAL = (
    "127.0.0.1 is a loopback address; certlife does not connect to private networks unless "
    "CERTLIFE_ALLOWED_PRIVATE_NETWORKS allows it."
)
SECOND_LOOPBACK = "127.0.0.2"  # stands in for a public CA: the only network allowed


@pytest.fixture(autouse=True)
def no_private_network_allowed(settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ()


@pytest.fixture
def allow_second_loopback(settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network(f"{SECOND_LOOPBACK}/32"),)


def registration(directory: str) -> dict:
    return {
        "name": "Refused",
        "email": "a@certlife.test",
        "directory": directory,
        "agree_tos": True,
    }


@pytest.mark.parametrize(
    ("directory", "message"),
    [
        ("https://127.0.0.1:14000/dir", LOOPBACK_REFUSAL),
        ("https://10.0.0.1/dir", "10.0.0.1 is a private address; certlife does not connect"),
        ("https://169.254.169.254/dir", "169.254.169.254 is a cloud metadata address"),
        ("https://[::ffff:127.0.0.1]:14000/dir", "(IPv4 127.0.0.1) is a loopback address"),
        ("https://[::ffff:a9fe:a9fe]/dir", "(IPv4 169.254.169.254) is a cloud metadata address"),
        ("https://localhost:14000/dir", "localhost resolves to 127.0.0.1, a loopback address"),
        ("https://metadata.google.internal/dir", "a cloud metadata host name"),
    ],
)
def test_a_private_directory_is_a_400_on_directory_before_any_connection(
    api_as, administrator, directory, message
):
    with connections_recorded() as connected:
        answer = api_as(administrator).post(ACCOUNTS, registration(directory), format="json")
    assert answer.status_code == 400, answer.content
    assert message in answer.json()["directory"][0]
    assert connected == []
    assert not AcmeAccount.objects.exists()


@pytest.mark.e2e
def test_the_allowed_network_opens_a_local_ca(api_as, administrator, trusted_pebble):
    answer = api_as(administrator).post(
        ACCOUNTS, registration(trusted_pebble.directory_url), format="json"
    )
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize("action", ["register", "import"])
def test_credentials_in_the_directory_url_are_refused_and_never_repeated_or_kept(
    api_as, administrator, action
):
    directory = "https://acme-user:s3cret-pw@ca.example.net/dir"
    body = registration(directory)
    if action == "import":
        body = {**body, "key_pem": generate_account_key_pem()}
    with connections_recorded() as connected:
        answer = api_as(administrator).post(
            ACCOUNTS + ("import/" if action == "import" else ""), body, format="json"
        )
    assert answer.status_code == 400
    assert "must not contain a user name or password" in answer.json()["directory"][0]
    assert "s3cret-pw" not in answer.content.decode() and connected == []
    assert not AcmeAccount.objects.exists()
    (failure,) = AuditEvent.objects.filter(action=f"account.{action}")
    assert failure.outcome == AuditOutcome.FAILURE
    assert failure.detail["directory"] == "https://[credentials removed]@ca.example.net/dir"
    assert "s3cret-pw" not in json.dumps(failure.detail) and "acme-user" not in failure.detail


def test_the_register_form_refuses_credentials_without_repeating_them(client, administrator):
    client.force_login(administrator)
    page = client.post(
        "/manage/accounts/register/",
        {
            "name": "Refused",
            "email": "a@certlife.test",
            "directory_choice": "custom",
            "custom_directory_url": "https://acme-user:s3cret-pw@ca.example.net/dir",
            "agree_tos": "on",
        },
    ).content.decode()
    assert "must not contain a user name or password" in page
    assert not AcmeAccount.objects.exists()
    assert "s3cret-pw" not in json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_a_directory_redirecting_to_loopback_is_refused_at_the_second_hop(allow_second_loopback):
    with FakeCa() as private_ca, Redirector(private_ca.directory_url, host=SECOND_LOOPBACK) as ca:
        with connections_recorded() as connected, pytest.raises(DestinationRefusedError) as refused:
            fetch_directory(ca.url + "/directory")
        assert str(refused.value) == LOOPBACK_REFUSAL and refused.value.permanent
        assert len(ca.received) == 1 and private_ca.received == []
    assert connected == [SECOND_LOOPBACK]


def test_every_url_the_directory_names_is_checked(allow_second_loopback):
    """The directory is allowed, but its newAccount URL points into a private network."""
    with FakeCa(host=SECOND_LOOPBACK) as ca:
        ca._directory = {**ca.directory(), "newAccount": "http://10.0.0.1/new-account"}
        client = acme_client_for_key(ca.directory_url, generate_account_key_pem())
        registration_body = messages.NewRegistration.from_data(terms_of_service_agreed=True)
        with connections_recorded() as connected, pytest.raises(DestinationRefusedError) as refused:
            client.new_account(registration_body)
    assert str(refused.value).startswith("10.0.0.1 is a private address")
    assert set(connected) <= {SECOND_LOOPBACK} and ca.posts() == []


def test_a_refused_directory_is_reported_with_the_other_input_errors(api_as, administrator):
    body = {**registration("https://10.0.0.1/dir"), "name": ""}
    with connections_recorded() as connected:
        answer = api_as(administrator).post(ACCOUNTS, body, format="json")
    assert answer.status_code == 400 and connected == []
    assert set(answer.json()) == {"name", "directory"}
    assert "10.0.0.1 is a private address" in answer.json()["directory"][0]
