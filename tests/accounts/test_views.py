"""Manage >> Accounts pages through Django's test client, against the harness Pebble."""

import pytest

from accounts import actions
from accounts.models import AcmeAccount
from certlife.models import AuditEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture
def pebble_account(administrator, trusted_pebble):
    return actions.register_account(
        actor=administrator,
        name="Pebble",
        email="admin@certlife.test",
        directory=trusted_pebble.directory_url,
        agree_tos=True,
    )


def key_lines(account):
    return [line for line in account.key_pem.splitlines() if "PRIVATE KEY" not in line]


def test_operators_and_auditors_see_the_list_but_cannot_act(
    client, operator, auditor, pebble_account
):
    for user in (operator, auditor):
        client.force_login(user)
        page = client.get("/manage/accounts/").content.decode()
        assert "Pebble" in page and 'aria-label="Manage"' in page
        assert "Register an account" not in page and "Deactivate" not in page
        assert "Account email" not in page  # the top-bar action is for administrators
        pk = pebble_account.pk
        for url in ("register/", "import/", f"{pk}/email/", f"{pk}/export/", f"{pk}/delete/",
                    f"{pk}/deactivate/"):  # fmt: skip
            assert client.get(f"/manage/accounts/{url}").status_code == 403, (user, url)
        assert client.post(f"/manage/accounts/{pk}/delete/").status_code == 403
        assert client.post("/manage/accounts/directory-info/").status_code == 403
    assert AcmeAccount.objects.filter(status="valid").count() == 1


def test_administrator_pages_never_show_the_key(client, administrator, pebble_account):
    client.force_login(administrator)
    pk = pebble_account.pk
    pages = "".join(
        client.get(url).content.decode()
        for url in (
            "/manage/accounts/",
            f"/manage/accounts/{pk}/email/",
            f"/manage/accounts/{pk}/export/",
            f"/manage/accounts/{pk}/delete/",
            f"/manage/accounts/{pk}/deactivate/",
            f"/admin/accounts/acmeaccount/{pk}/change/",
            "/admin/accounts/acmeaccount/",
        )  # fmt: skip
    )
    assert "Account email" in pages and "stays active at the CA" in pages
    assert "permanent" in pages
    assert not any(line in pages for line in key_lines(pebble_account))
    assert not AuditEvent.objects.filter(action="account.export_key").exists()

    download = client.post(f"/manage/accounts/{pk}/export/")
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content.decode() == pebble_account.key_pem
    assert AuditEvent.objects.filter(action="account.export_key", actor=administrator).count() == 1


def test_top_bar_email_action_leads_to_the_only_account(client, administrator, pebble_account):
    client.force_login(administrator)
    answer = client.get("/manage/accounts/email/")
    assert (
        answer.status_code == 302 and answer.url == f"/manage/accounts/{pebble_account.pk}/email/"
    )

    client.post(answer.url, {"email": "new@certlife.test"})
    pebble_account.refresh_from_db()
    assert pebble_account.email == "new@certlife.test"


def test_register_form_shows_the_terms_link_and_errors(client, administrator, trusted_pebble):
    client.force_login(administrator)
    custom = {"directory_choice": "custom", "custom_directory_url": trusted_pebble.directory_url}
    info = client.post("/manage/accounts/directory-info/", custom).content.decode()
    # Pebble's terms are a data: URL: shown, but not as a link (only https is linked).
    assert "data:text/plain,Do%20what%20thou%20wilt</span> (not an https link)" in info
    assert "href" not in info

    page = client.post(
        "/manage/accounts/register/", {"name": "Pebble", "email": "bad@", **custom}
    ).content.decode()
    assert "Enter a valid email address." in page
    assert not AcmeAccount.objects.exists()

    client.post(
        "/manage/accounts/register/",
        {"name": "Pebble", "email": "a@certlife.test", "agree_tos": "on", **custom},
    )
    assert AcmeAccount.objects.get().status == "valid"


def test_importing_a_deactivated_key_is_refused_and_the_page_says_why(
    client, administrator, pebble_account, trusted_pebble
):
    key_pem = pebble_account.key_pem
    actions.deactivate_account(pebble_account, actor=administrator)
    actions.delete_account(pebble_account, actor=administrator)
    client.force_login(administrator)

    page = client.post(
        "/manage/accounts/import/",
        {"name": "Again", "email": "a@certlife.test", "directory_choice": "custom",
         "custom_directory_url": trusted_pebble.directory_url, "key_pem": key_pem},
    ).content.decode()  # fmt: skip

    assert "was deactivated at" in page and "can never be used again" in page
    assert not any(line in page for line in key_lines(pebble_account))  # not echoed back
    assert not AcmeAccount.objects.exists()
