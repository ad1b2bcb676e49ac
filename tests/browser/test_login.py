import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _log_in(page, username, password):
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.locator('form [type="submit"]').click()


def test_login_leads_to_dashboard(page, administrator, tmp_path):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))

    _log_in(page, administrator.username, administrator.raw_password)
    expect(page.locator("h1")).to_have_text("Dashboard")

    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.read_bytes().startswith(PNG_SIGNATURE)
    assert screenshot.stat().st_size > len(PNG_SIGNATURE)


def test_wrong_password_shows_error_and_stays_on_login(page, administrator):
    page.goto("/login/")
    _log_in(page, administrator.username, "not-the-password")

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("h1")).not_to_have_text("Dashboard")
