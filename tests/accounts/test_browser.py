"""Register and deactivate an account in Chromium, against the harness Pebble."""

import re

import pytest
from playwright.sync_api import expect

from accounts import ca_operations
from accounts.errors import AccountDeactivatedAtCaError
from accounts.models import AcmeAccount

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PEBBLE_TERMS = "data:text/plain,Do%20what%20thou%20wilt"


def _log_in(page, user):
    page.goto("/login/")
    page.locator('input[name="username"]').fill(user.username)
    page.locator('input[name="password"]').fill(user.raw_password)
    page.locator('form [type="submit"]').click()
    expect(page.locator("h1")).to_have_text("Dashboard")


def test_register_then_deactivate_in_the_browser(page, administrator, trusted_pebble):
    _log_in(page, administrator)
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("h1")).to_have_text("ACME accounts")

    page.get_by_role("link", name="Register an account").click()
    page.get_by_label("Name").fill("Pebble in Chromium")
    page.get_by_label("Email").fill("browser@certlife.test")
    page.get_by_label("Directory", exact=True).select_option("custom")
    page.get_by_label("Custom directory URL").fill(trusted_pebble.directory_url)
    page.get_by_label("Custom directory URL").press("Tab")
    # Read from the directory by an htmx POST with the CSRF token; Pebble's terms are a
    # data: URL, shown as text, not as a link.
    expect(page.locator("#terms-link")).to_contain_text(PEBBLE_TERMS)
    expect(page.locator("#terms-link a")).to_have_count(0)

    register = page.get_by_role("button", name="Register")
    register.click()  # the terms tick is required: the browser keeps the form here
    expect(page).to_have_url(re.compile(r"/manage/accounts/register/$"))
    assert not AcmeAccount.objects.exists()

    page.get_by_label("I agree to the CA's terms of service").check()
    register.click()
    expect(page.locator(".messages")).to_contain_text("registered at the CA")
    row = page.locator('tr[data-account="Pebble in Chromium"]')
    expect(row.locator(".status")).to_have_text("Valid")
    account = AcmeAccount.objects.get()

    row.get_by_role("link", name="Deactivate").click()
    expect(page.locator("#confirm-warning")).to_contain_text("permanent")
    page.get_by_role("button", name="Deactivate for ever").click()
    expect(page.locator(".messages")).to_contain_text("deactivated at the CA")
    expect(row.locator(".status")).to_have_text("Deactivated")
    expect(row.get_by_role("link", name="Deactivate")).to_have_count(0)

    account.refresh_from_db()
    assert account.status == "deactivated"
    with pytest.raises(AccountDeactivatedAtCaError):
        ca_operations.find_existing_account(account.directory_url, account.key_pem)
    assert not any(line in page.content() for line in account.key_pem.splitlines()[1:-1])
