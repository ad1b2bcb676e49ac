"""Spec A1-A7 through the REST API, against the harness Pebble."""

import logging

import pytest

from accounts import ca_operations
from accounts.errors import AccountDeactivatedAtCaError
from accounts.models import AcmeAccount
from certlife.choices import AuditOutcome
from certlife.models import AuditEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ACCOUNTS = "/api/v1/accounts/"


def registration(pebble, **overrides) -> dict:
    return {
        "name": "Pebble test CA",
        "email": "admin@certlife.test",
        "directory": pebble.directory_url,
        "agree_tos": True,
        **overrides,
    }


def key_lines(key_pem: str) -> list[str]:
    """The base64 lines of a PEM key: none may appear anywhere but the export."""
    return [line for line in key_pem.splitlines() if line and "PRIVATE KEY" not in line]


def assert_no_key_in(text: str, key_pem: str) -> None:
    assert not any(line in text for line in key_lines(key_pem))


def test_register_update_export_delete_import_deactivate(
    api_as, administrator, trusted_pebble, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="acme")
    api, pebble = api_as(administrator), trusted_pebble

    created = api.post(ACCOUNTS, registration(pebble), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["directory_url"]) == ("valid", pebble.directory_url)
    assert body["account_url"].startswith(pebble.directory_url.removesuffix("/dir"))
    account = AcmeAccount.objects.get(pk=body["id"])
    key_pem = account.key_pem
    assert "key_pem" not in body and account.tos_agreed_at is not None
    # The CA knows the account by the stored key.
    assert (
        ca_operations.find_existing_account(pebble.directory_url, key_pem).url
        == (body["account_url"])
    )

    updated = api.patch(f"{ACCOUNTS}{body['id']}/", {"email": "ops@certlife.test"}, format="json")
    assert updated.status_code == 200 and updated.json()["email"] == "ops@certlife.test"
    at_ca = ca_operations.find_existing_account(pebble.directory_url, key_pem)
    assert at_ca.contact == ("mailto:ops@certlife.test",)

    exported = api.get(f"{ACCOUNTS}{body['id']}/key/")
    assert exported.status_code == 200 and exported.content.decode() == key_pem
    assert exported["Content-Type"] == "application/x-pem-file"
    assert AuditEvent.objects.filter(action="account.export_key", actor=administrator).exists()

    listed = api.get(ACCOUNTS)
    assert listed.json()["count"] == 1
    assert_no_key_in(
        listed.content.decode() + api.get(f"{ACCOUNTS}{body['id']}/").content.decode(), key_pem
    )

    assert api.delete(f"{ACCOUNTS}{body['id']}/").status_code == 204
    assert not AcmeAccount.objects.exists()
    # A3: still active at the CA.
    assert ca_operations.find_existing_account(pebble.directory_url, key_pem).status == "valid"

    imported = api.post(
        f"{ACCOUNTS}import/",
        {"name": "Back again", "email": "ops@certlife.test", "directory": pebble.directory_url,
         "key_pem": exported.content.decode()},
        format="json",
    )  # fmt: skip
    assert imported.status_code == 201, imported.content
    assert imported.json()["account_url"] == body["account_url"]
    assert_no_key_in(imported.content.decode(), key_pem)
    new_id = imported.json()["id"]

    deactivated = api.post(f"{ACCOUNTS}{new_id}/deactivate/")
    assert deactivated.status_code == 200 and deactivated.json()["status"] == "deactivated"
    with pytest.raises(AccountDeactivatedAtCaError):
        ca_operations.find_existing_account(pebble.directory_url, key_pem)

    # A6: a deactivated account can never be added again.
    api.delete(f"{ACCOUNTS}{new_id}/")
    refused = api.post(
        f"{ACCOUNTS}import/",
        {"name": "Once more", "email": "ops@certlife.test", "directory": pebble.directory_url,
         "key_pem": key_pem},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "deactivated" in refused.json()["key_pem"][0]
    assert not AcmeAccount.objects.exists()

    account_events = AuditEvent.objects.filter(action__startswith="account.").order_by("id")
    actions = list(account_events.values_list("action", "outcome"))
    assert actions == [
        ("account.register", "success"),
        ("account.update_email", "success"),
        ("account.export_key", "success"),
        ("account.delete", "success"),
        ("account.import", "success"),
        ("account.deactivate", "success"),
        ("account.delete", "success"),
        ("account.import", "failure"),
    ]
    assert_no_key_in(str(list(AuditEvent.objects.values_list("detail", flat=True))), key_pem)
    assert caplog.records, "the acme library and certlife should have logged at DEBUG"
    assert_no_key_in(caplog.text, key_pem)


def _bad_input_cases(pebble, closed_port):
    not_acme = pebble.management_url + "/roots/0"  # answers, but a PEM, not a directory
    return {
        "malformed email": (registration(pebble, email="not-an-email"), "email"),
        "missing name": (registration(pebble, name=""), "name"),
        "no terms tick": (registration(pebble, agree_tos=False), "agree_tos"),
        "plain http directory": (registration(pebble, directory="http://ca.test/dir"), "directory"),
        "unreachable directory": (
            registration(pebble, directory=f"https://127.0.0.1:{closed_port}/dir"),
            "directory",
        ),
        "not an ACME directory": (registration(pebble, directory=not_acme), "directory"),
        "half an EAB": (registration(pebble, eab_kid="kid-only"), "eab_hmac_key"),
        "email too long": (
            registration(pebble, email="a" * 60 + "@" + "b" * 200 + ".test"),
            "email",
        ),
        "directory URL too long": (
            registration(pebble, directory=pebble.directory_url + "?" + "x" * 500),
            "directory",
        ),
        "EAB key ID too long": (
            registration(pebble, eab_kid="k" * 201, eab_hmac_key="abc"),
            "eab_kid",
        ),
    }


def test_bad_registrations_answer_400_naming_the_field_and_write_nothing(
    api_as, administrator, trusted_pebble, closed_port
):
    api = api_as(administrator)
    cases = _bad_input_cases(trusted_pebble, closed_port)
    for case, (body, field) in cases.items():
        answer = api.post(ACCOUNTS, body, format="json")
        assert answer.status_code == 400, (case, answer.content)
        errors = answer.json()
        assert field in errors and errors[field][0], (case, errors)
        assert not AcmeAccount.objects.exists(), case
    failures = AuditEvent.objects.filter(action="account.register", outcome=AuditOutcome.FAILURE)
    assert failures.count() == len(cases)


def test_second_account_on_the_same_directory_is_refused(api_as, administrator, trusted_pebble):
    api = api_as(administrator)
    assert api.post(ACCOUNTS, registration(trusted_pebble), format="json").status_code == 201

    again = api.post(ACCOUNTS, registration(trusted_pebble, name="Another"), format="json")

    assert again.status_code == 400
    assert "one account per directory" in again.json()["directory"][0]
    assert AcmeAccount.objects.count() == 1


def test_import_refuses_bad_keys_and_keys_without_an_account(api_as, administrator, trusted_pebble):
    from accounts.acme.keys import generate_account_key_pem

    api = api_as(administrator)
    base = {
        "name": "Imported",
        "email": "a@certlife.test",
        "directory": trusted_pebble.directory_url,
    }
    garbage = api.post(f"{ACCOUNTS}import/", {**base, "key_pem": "not a key"}, format="json")
    assert garbage.status_code == 400 and "PEM" in garbage.json()["key_pem"][0]

    unknown_key = generate_account_key_pem()
    unknown = api.post(f"{ACCOUNTS}import/", {**base, "key_pem": unknown_key}, format="json")
    assert unknown.status_code == 400
    assert "has no account for this key" in unknown.json()["key_pem"][0]
    assert_no_key_in(unknown.content.decode(), unknown_key)
    assert not AcmeAccount.objects.exists()


def test_only_administrators_act_others_read(
    api_as, administrator, operator, auditor, trusted_pebble
):
    created = api_as(administrator).post(ACCOUNTS, registration(trusted_pebble), format="json")
    detail = f"{ACCOUNTS}{created.json()['id']}/"

    for user in (operator, auditor):
        api = api_as(user)
        assert api.get(ACCOUNTS).json()["count"] == 1
        assert api.get(detail).json()["status"] == "valid"
        refused = [
            api.post(ACCOUNTS, registration(trusted_pebble, name="Mine"), format="json"),
            api.post(f"{ACCOUNTS}import/", {}, format="json"),
            api.patch(detail, {"email": "x@certlife.test"}, format="json"),
            api.get(f"{detail}key/"),
            api.post(f"{detail}deactivate/"),
            api.delete(detail),
        ]
        assert [answer.status_code for answer in refused] == [403] * 6, user.username
    account = AcmeAccount.objects.get()
    assert (account.email, account.status) == ("admin@certlife.test", "valid")
    assert not AuditEvent.objects.filter(action="account.export_key").exists()


def test_update_email_refuses_a_malformed_address(api_as, administrator, trusted_pebble):
    api = api_as(administrator)
    created = api.post(ACCOUNTS, registration(trusted_pebble), format="json").json()

    answer = api.patch(f"{ACCOUNTS}{created['id']}/", {"email": "nope@"}, format="json")

    assert answer.status_code == 400 and "email" in answer.json()
    assert AcmeAccount.objects.get().email == "admin@certlife.test"


def test_list_filters_by_status_and_name(api_as, administrator, trusted_pebble):
    api = api_as(administrator)
    created = api.post(ACCOUNTS, registration(trusted_pebble), format="json").json()
    api.post(f"{ACCOUNTS}{created['id']}/deactivate/")

    assert api.get(ACCOUNTS, {"status": "deactivated"}).json()["count"] == 1
    assert api.get(ACCOUNTS, {"status": "valid"}).json()["count"] == 0
    assert api.get(ACCOUNTS, {"name": "pebble"}).json()["count"] == 1
    assert api.get(ACCOUNTS, {"name": "nothing"}).json()["count"] == 0
