"""The rules of DNS account credentials (spec D1-D7), declared once per provider field
and applied by the action: every refusal is a 400 naming `credentials.<field>` (or
`credentials` for the object itself), writes nothing and never echoes the value; the
form shows the same errors and never renders a secret back; an account stored before a
rule existed fails with a clear DnsProviderError, never a DNS library's exception."""

import json

import pytest
from django.urls import reverse

from dns_providers.errors import DnsProviderError
from dns_providers.models import DnsAccount
from dns_providers.providers import PROVIDERS
from dns_providers.tasks import test_dns_account_connection as run_connection_test

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/dns-accounts/"
VALID = {
    "rfc2136": {
        "server": "ns1.example.com", "port": "53", "key_name": "certlife-key",
        "key_secret": "c2VjcmV0LXNlY3JldA==", "algorithm": "hmac-sha256", "zone": "",
    },
    "route53": {
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    },
    "cloudflare": {"api_token": "Zr8Hc4rR-UWmS_3fX9kQ2pLhTb7VnYd1eGoAjK5w"},
    "godaddy": {
        "api_key": "dLP4fd8Q9v_46Bsa6UNsuk9ZHU9S8XfLbT4", "api_secret": "46BtXGXZpoe9Y8oPN6j3vK",
    },
    "cloudns": {"auth_id": "1234", "auth_password": "a long pass phrase, with spaces!"},
    "azure": {
        "subscription_id": "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
        "tenant_id": "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
        "client_id": "5d8b7b1e-3c2a-4f0e-9b1d-2a6c8e4f7a90",
        "client_secret": "Qx8Q~abcDEF.ghi_jkl-MNOpqrSTUvwxYZ0123456",
        "resource_group": "dns-zones",
    },
}  # fmt: skip


def create(api, provider: str, **credentials):
    credentials = {**VALID[provider], **credentials}
    body = {"provider": provider, "name": provider, "credentials": credentials}
    return api.post(LIST_URL, body, format="json")


@pytest.fixture
def api(api_as, administrator):
    return api_as(administrator)


@pytest.mark.parametrize(
    ("provider", "credentials"),
    [
        ("rfc2136", {}),
        ("rfc2136", {"server": "192.0.2.53", "port": "5353", "zone": "example.com."}),
        ("rfc2136", {"server": "2001:db8::53", "key_name": "tsig_key.example.", "port": ""}),
        ("rfc2136", {"server": "ns1.example.com.", "port": "65535", "algorithm": "hmac-md5"}),
        ("route53", {}),
        ("cloudflare", {}),
        ("cloudflare", {"api_token": "", "email": "dns@example.com", "api_key": "0123abcd" * 5}),
        ("godaddy", {}),
        ("cloudns", {}),
        ("cloudns", {"auth_id": "", "sub_auth_user": "certlife-sub"}),
        ("azure", {}),
        ("azure", {"resource_group": "Prod_(DNS)-zones.ñ"}),
    ],
)
def test_real_credentials_are_accepted(api, provider, credentials):
    answer = create(api, provider, **credentials)
    assert answer.status_code == 201, answer.content
    given = {**VALID[provider], **credentials}
    expected = {
        field.name: given.get(field.name, "") or field.default
        for field in PROVIDERS[provider].fields
    }
    assert DnsAccount.objects.get().credential_values() == expected


PORT_RULE = "A port number from 1 to 65535, in the digits 0-9."
HOST_RULE = "A host name: dot-separated labels"
TOKEN_RULE = "Printable ASCII without spaces"
GUID_RULE = "A GUID like"
CONTROL_RULE = "Must not contain control characters or line breaks."


@pytest.mark.parametrize(
    ("provider", "field", "value", "words"),
    [
        ("rfc2136", "port", "٥٣", PORT_RULE),
        ("rfc2136", "port", "+53", PORT_RULE),
        ("rfc2136", "port", " 53", PORT_RULE),
        ("rfc2136", "port", "53.0", PORT_RULE),
        ("rfc2136", "port", "0", PORT_RULE),
        ("rfc2136", "port", "65536", PORT_RULE),
        ("rfc2136", "port", "999999", "At most 5 characters."),
        ("rfc2136", "port", 53, "Must be a string, not int."),
        ("rfc2136", "port", True, "Must be a string, not bool."),
        ("rfc2136", "port", None, "Must be a string, not null."),
        ("rfc2136", "server", "ns1..example.com", HOST_RULE),
        ("rfc2136", "server", "-ns1.example.com", HOST_RULE),
        ("rfc2136", "server", "ns_1.example.com", HOST_RULE),
        ("rfc2136", "server", "a" * 64 + ".example.com", HOST_RULE),
        ("rfc2136", "server", ("a" * 63 + ".") * 3 + "a" * 62, HOST_RULE),
        ("rfc2136", "server", "10.1.2", "not all digits, or give an IP address"),
        ("rfc2136", "server", "[2001:db8::1]", HOST_RULE),
        ("rfc2136", "server", "ns1.example.com\n", CONTROL_RULE),
        ("rfc2136", "server", "ns1.example.com\u2028x", CONTROL_RULE),
        ("rfc2136", "server", ["ns1.example.com"], "Must be a string, not list."),
        ("rfc2136", "server", {"host": "ns1"}, "Must be a string, not dict."),
        ("rfc2136", "key_name", "my key", "A key name"),
        ("rfc2136", "key_name", "a..b", "A key name"),
        ("rfc2136", "key_secret", "not base64!", "Not valid base64"),
        ("rfc2136", "key_secret", "c2VjcmV0\x00", CONTROL_RULE),
        ("rfc2136", "key_secret", "QUJD" * 1025, "At most 4096 characters."),
        ("rfc2136", "algorithm", "hmac-sha3", "Must be one of: hmac-sha256"),
        ("rfc2136", "zone", "exa mple.com", "A zone name"),
        ("route53", "access_key_id", "AKIA123", "16 to 128 letters"),
        ("route53", "access_key_id", "AKIA-EXAMPLE-000000", "16 to 128 letters"),
        ("route53", "access_key_id", "A" * 129, "At most 128 characters."),
        ("route53", "secret_access_key", "has a space in it", TOKEN_RULE),
        ("route53", "secret_access_key", "tab\there", CONTROL_RULE),
        ("route53", "secret_access_key", "del\x7fete", CONTROL_RULE),
        ("cloudflare", "api_token", "tökén", TOKEN_RULE),
        ("cloudflare", "api_token", 12345, "Must be a string, not int."),
        ("godaddy", "api_key", "key with spaces", TOKEN_RULE),
        ("godaddy", "api_secret", "s" * 4097, "At most 4096 characters."),
        ("cloudns", "auth_id", "12a", "Digits 0-9 only"),
        ("cloudns", "auth_id", "١٢", "Digits 0-9 only"),
        ("cloudns", "sub_auth_user", "u" * 256, "At most 255 characters."),
        ("cloudns", "auth_password", "pass\r\nword", CONTROL_RULE),
        ("azure", "subscription_id", "not-a-guid", GUID_RULE),
        ("azure", "tenant_id", "{72f988bf-86f1-41af-91ab-2d7cd011db47}", "At most 36"),
        ("azure", "client_id", "72f988bf86f141af91ab2d7cd011db47", GUID_RULE),
        ("azure", "client_secret", "secret with spaces", TOKEN_RULE),
        ("azure", "resource_group", "ends-with-a-period.", "not ending with a period"),
        ("azure", "resource_group", "has space", "1 to 90 letters"),
        ("azure", "resource_group", "r" * 91, "At most 90 characters."),
    ],
)
def test_each_rule_is_a_400_naming_the_credential(api, provider, field, value, words):
    answer = create(api, provider, **{field: value})
    assert answer.status_code == 400, answer.content
    assert list(answer.json()) == [f"credentials.{field}"]
    assert words in answer.json()[f"credentials.{field}"][0]
    assert not DnsAccount.objects.exists()
    if field in PROVIDERS[provider].secret_fields:
        assert str(value) not in answer.content.decode()


@pytest.mark.parametrize(
    ("credentials", "words"),
    [
        ("ns1.example.com", "An object of RFC 2136 credentials by name."),
        (["server", "port"], "An object of RFC 2136 credentials by name."),
        (None, "This field may not be null."),
        ({**VALID["rfc2136"], "password": "x"}, "has no credential named 'password'"),
        ({f"name{i}": "x" for i in range(10_000)}, "(and more); its credentials are server"),
    ],
)
def test_credentials_that_are_not_the_providers_object_are_a_400(api, credentials, words):
    body = {"provider": "rfc2136", "name": "BIND", "credentials": credentials}
    answer = api.post(LIST_URL, body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["credentials"]
    assert words in answer.json()["credentials"][0]
    assert not DnsAccount.objects.exists()


def test_an_edit_is_checked_by_the_same_rules_and_changes_nothing_when_refused(api):
    account_url = f"{LIST_URL}{create(api, 'rfc2136').json()['id']}/"
    for credentials, field in [
        ({"port": "+53"}, "credentials.port"),
        ({"key_secret": None}, "credentials.key_secret"),
        ({"key_name": 7}, "credentials.key_name"),
        ([], "credentials"),
        (None, "credentials"),
    ]:
        answer = api.patch(account_url, {"credentials": credentials}, format="json")
        assert answer.status_code == 400, (credentials, answer.content)
        assert list(answer.json()) == [field]
    assert DnsAccount.objects.get().credential_values() == VALID["rfc2136"]

    kept = api.patch(
        account_url, {"credentials": {"port": "5353", "key_secret": ""}}, format="json"
    )
    assert kept.status_code == 200
    assert DnsAccount.objects.get().credential_values() == {**VALID["rfc2136"], "port": "5353"}


def test_the_form_shows_the_actions_errors_and_never_renders_the_secret(client, administrator):
    client.force_login(administrator)
    secret = "c2VjcmV0LWZvci10aGUtZm9ybS10ZXN0"
    form = {**VALID["rfc2136"], "name": "BIND", "enabled": "on", "key_secret": secret}
    page = client.post(reverse("dns-account-add", args=["rfc2136"]), {**form, "port": "+53"})
    html = page.content.decode()
    assert page.status_code == 200
    assert PORT_RULE in html
    assert secret not in html
    assert 'name="key_secret"' in html and 'maxlength="4096"' in html
    assert not DnsAccount.objects.exists()

    cloudflare = {"name": "CF", "enabled": "on", "api_token": "Zr8Hc4rR-token", "email": "x@"}
    page = client.post(reverse("dns-account-add", args=["cloudflare"]), cloudflare)
    assert "Enter a valid email address." in page.content.decode()
    assert "Zr8Hc4rR-token" not in page.content.decode()
    assert not DnsAccount.objects.exists()


@pytest.mark.parametrize(
    ("provider", "stored", "fields"),
    [
        # Before the check, the first two made dnspython raise ValueError and EmptyLabel.
        ("rfc2136", {**VALID["rfc2136"], "port": "abc"}, "port"),
        ("rfc2136", {**VALID["rfc2136"], "key_name": "a..b"}, "key_name"),
        ("rfc2136", {**VALID["rfc2136"], "key_secret": "!!"}, "key_secret"),
        ("rfc2136", {**VALID["rfc2136"], "port": 53}, "port"),
        ("rfc2136", ["not", "an", "object"], "credentials"),
        ("cloudflare", {"api_token": "токен"}, "api_token"),
        ("route53", {**VALID["route53"], "access_key_id": "AKIA\nX-Injected: 1"}, "access_key_id"),
        ("azure", {**VALID["azure"], "tenant_id": "../../common"}, "tenant_id"),
    ],
)
def test_a_malformed_stored_account_fails_plainly_and_never_reaches_the_library(
    provider, stored, fields
):
    account = DnsAccount.objects.create(
        provider=provider, name="old", credentials=json.dumps(stored)
    )
    with pytest.raises(DnsProviderError) as failure:
        account.build_provider()
    assert failure.value.permanent
    label = account.provider_label
    assert failure.value.message == (
        f"{label}: the DNS account's stored credentials break the rules ({fields}); edit the "
        "DNS account and enter them again"
    )

    run_connection_test(account.pk)
    account.refresh_from_db()
    assert account.last_test_status == "failed"
    assert account.last_test_message == failure.value.message
