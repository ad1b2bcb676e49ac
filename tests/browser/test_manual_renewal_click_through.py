"""Manual renewal in Chromium (docs/features.md N1, N2, N5): Renew certificate on the
certificate's page, the request's status bar reads Renewed, clicking it saves the new
version, and the History shows two versions with the same key (key policy "same")."""

import pytest
from playwright.sync_api import expect

from acme_orders import actions
from acme_orders.models import Certificate
from tests.acme_orders.e2e_helpers import InProcessWorker, issue_manually, new_request
from tests.browser.test_login import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_renew_read_renewed_click_it_and_see_two_versions(
    page, monkeypatch, pebble, pebble_account, administrator, tmp_path
):
    # Every step the pages enqueue is recorded, and run here, in the test's process.
    worker = InProcessWorker(monkeypatch)
    names = ["renew-ui.example.com"]
    first = issue_manually(
        worker, pebble, new_request(pebble_account, administrator, names, key_policy="same"),
        actor=administrator,
    )  # fmt: skip
    certificate = actions.save_to_repository(first, actor=administrator)
    first_serial = certificate.current_version.serial_number

    page.goto("/login/")
    _log_in(page, administrator.username, administrator.raw_password)
    page.get_by_role("link", name="Certificates", exact=True).click()
    page.get_by_role("link", name="renew-ui.example.com").click()
    expect(page.locator("h1")).to_have_text("renew-ui.example.com")
    page.get_by_role("button", name="Renew certificate").click()
    expect(page.get_by_text("Renewal requested")).to_be_visible()

    renewal = certificate.requests.exclude(pk=first.pk).get()
    issue_manually(worker, pebble, renewal, actor=administrator)
    renewed = page.get_by_role("button", name="Renewed")
    expect(renewed).to_be_visible(timeout=60_000)  # htmx refreshes the status bar
    page.screenshot(path=tmp_path / "renewed.png", full_page=True)
    renewed.click()
    expect(page.get_by_text("Saved to the repository.")).to_be_visible()

    page.get_by_role("link", name="renew-ui.example.com").click()
    page.get_by_role("link", name="History").click()
    rows = page.locator("#versions tbody tr")
    expect(rows).to_have_count(2)
    certificate = Certificate.objects.get(pk=certificate.pk)
    new_serial = certificate.current_version.serial_number
    assert new_serial != first_serial
    expect(rows.nth(0)).to_contain_text(f"{new_serial} (current)")
    expect(rows.nth(1)).to_contain_text(first_serial)
    fingerprint = certificate.current_version.key_fingerprint
    expect(rows.nth(0)).to_contain_text(fingerprint)
    expect(rows.nth(1)).to_contain_text(fingerprint)  # the same key, as the policy says
    page.screenshot(path=tmp_path / "history.png", full_page=True)

    # The dashboard draws its expiry timeline inline, with no script from elsewhere.
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#expiry-timeline svg rect.week")).to_have_count(12)
    expect(page.locator("#timeline-expired")).to_have_text("Expired: 0")
    expect(page.locator("#timeline-revoked")).to_have_text("Revoked: 0")
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
