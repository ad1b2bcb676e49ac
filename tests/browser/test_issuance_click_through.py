"""The whole click-through in Chromium: request, see the challenge, verify, see
Available, save, find it in Certificates, export a PKCS#12 (issue: R, V1, V2, P)."""

import re

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

from tests.browser.test_login import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_request_verify_save_and_export_pkcs12(
    page, celery_worker, administrator, pebble, pebble_account, tmp_path
):
    page.goto("/login/")
    _log_in(page, administrator.username, administrator.raw_password)
    page.get_by_role("link", name="Request", exact=True).click()
    expect(page.locator("h1")).to_have_text("Request a certificate")

    # Choosing RSA offers RSA sizes and signatures only.
    page.get_by_label("Key algorithm").select_option("RSA")
    expect(page.get_by_label("Key size")).to_have_value("2048")
    expect(page.get_by_label("Signature algorithm")).to_have_value("SHA256withRSA")
    expect(page.locator("#id_key_size option[value='256']")).to_be_disabled()
    expect(page.locator("#id_signature_algorithm option[value=SHA256withECDSA]")).to_be_disabled()
    page.get_by_label("Key algorithm").select_option("EC")
    expect(page.get_by_label("Key size")).to_have_value("256")

    page.get_by_label("ACME account").select_option(label=str(pebble_account))
    # The profiles come from an htmx POST with the CSRF token (Pebble offers none).
    expect(page.locator("#profile-choices")).to_contain_text("This CA offers no profiles.")
    page.get_by_label("Domains").fill("ui.example.com\nwww.ui.example.com")
    page.get_by_label("HTTP-01", exact=True).check()
    page.get_by_label("Keystore type").select_option("PKCS12")
    page.get_by_label("Keystore password").fill("keystore-pass-1")
    page.get_by_role("button", name="Create request").click()

    expect(page.locator("h1")).to_have_text("ui.example.com")
    contents = page.locator("code[id^=content-]")
    expect(contents).to_have_count(2, timeout=120_000)  # htmx refreshes the status live
    tokens = {}
    for path, content in zip(
        page.locator("code[id^=path-]").all_text_contents(),
        contents.all_text_contents(),
        strict=True,
    ):
        tokens[path.rsplit("/", 1)[1]] = content
    page.screenshot(path=tmp_path / "challenges.png", full_page=True)

    with pebble.http01_server(tokens=tokens):
        page.get_by_role("button", name="Verify").click()
        expect(page.locator("[data-status]")).to_have_attribute(
            "data-status", "available", timeout=180_000
        )
    page.screenshot(path=tmp_path / "available.png", full_page=True)
    page.get_by_role("button", name="Save to repository").click()
    expect(page.get_by_text("Saved to the repository.")).to_be_visible()

    page.get_by_role("link", name="Certificates", exact=True).click()
    row = page.locator("table.list tbody tr", has_text="ui.example.com")
    expect(row).to_contain_text("www.ui.example.com")
    expect(row).to_contain_text("EC P-256")

    page.go_back()
    page.get_by_label("Format").select_option("pkcs12")
    page.get_by_label("Include the private key").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    download = download_info.value
    assert re.fullmatch(r"ui\.example\.com\.p12", download.suggested_filename)
    download.save_as(tmp_path / "ui.p12")
    key, leaf, chain = pkcs12.load_key_and_certificates(
        (tmp_path / "ui.p12").read_bytes(), b"keystore-pass-1"
    )
    assert key is not None and leaf is not None and chain
