"""The agent-mapping dialog in Chromium (spec V3, V7, V8): from a pending request, map
its name to a real sshd, confirm the host key, and watch the request validate and
issue with nobody publishing anything."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from agents.models import AgentMapping
from tests.acme_orders.e2e_helpers import new_request
from tests.browser.test_login import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dialog_maps_the_name_and_the_request_is_validated(
    page, celery_worker, administrator, pebble, pebble_account, ssh_server, tmp_path
):
    request = new_request(pebble_account, administrator, ["dialog.example.com"])
    page.goto("/login/")
    _log_in(page, administrator.username, administrator.raw_password)
    page.goto(reverse("request-detail", kwargs={"pk": request.pk}))
    expect(page.locator("table.challenges")).to_contain_text("Manual", timeout=120_000)

    page.get_by_role("button", name="Agent mapping for dialog.example.com").click()
    dialog = page.locator("dialog#agent-mapping-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Domain")).to_have_value("dialog.example.com")
    expect(dialog.get_by_label("Kind")).to_have_value("linux")
    dialog.get_by_label("Host", exact=True).fill(ssh_server.host)
    dialog.get_by_label("Port", exact=True).fill(str(ssh_server.port))
    dialog.get_by_label("User", exact=True).fill(ssh_server.user)
    dialog.get_by_label("Private key").fill(ssh_server.private_key_pem)
    dialog.get_by_label("Web root").fill(str(ssh_server.web_root))
    dialog.get_by_role("button", name="Save").click()

    # certlife fetched the host key (no login yet) and asks to confirm it.
    expect(dialog).to_contain_text("saved")
    expect(dialog.locator("code.fingerprint")).to_have_text(
        ssh_server.host_key_fingerprint, timeout=60_000
    )
    page.screenshot(path=tmp_path / "host-key.png", full_page=True)
    mapping = AgentMapping.objects.get(domain="dialog.example.com")
    assert mapping.host_key_fingerprint == ""
    with pebble.http01_server(web_root=ssh_server.web_root):
        dialog.get_by_role("button", name="Trust this host key").click()
        expect(dialog).to_contain_text("Trusted")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
        # Every name is automated now: validation starts on its own (no Verify).
        expect(page.locator("[data-status]")).to_have_attribute(
            "data-status", "available", timeout=180_000
        )
    expect(page.locator("table.challenges")).to_contain_text("Agent mapping: SSH")
    mapping.refresh_from_db()
    assert mapping.host_key_fingerprint == ssh_server.host_key_fingerprint
