"""The register form's directory probe: a POST with the CSRF token (never a GET), and
links from the CA's directory `meta` are links only when they are https."""

import pytest
from django.test import Client

from tests.accounts.fake_ca import FakeCa
from tests.harness.tls import write_server_certificate

pytestmark = pytest.mark.django_db

PROBE = "/manage/accounts/directory-info/"


@pytest.fixture
def tls_fake_ca(tmp_path, settings, allow_loopback):
    """A fake CA over https on loopback, trusted and allowed."""
    tls_files = write_server_certificate(tmp_path)
    settings.REQUESTS_CA_BUNDLE = str(tls_files[0])
    with FakeCa(tls_files=tls_files) as ca:
        yield ca


def probe_body(ca) -> dict:
    return {"directory_choice": "custom", "custom_directory_url": ca.directory_url}


def test_the_probe_is_a_post_with_the_csrf_token(administrator, tls_fake_ca):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(administrator)
    form_page = browser.get("/manage/accounts/register/").content.decode()
    assert f'hx-post="{PROBE}"' in form_page and "hx-get" not in form_page
    assert 'hx-params="directory_choice,custom_directory_url"' in form_page

    assert browser.get(PROBE, probe_body(tls_fake_ca)).status_code == 405
    assert browser.post(PROBE, probe_body(tls_fake_ca)).status_code == 403  # no token
    assert tls_fake_ca.received == []

    token = browser.cookies["csrftoken"].value
    answer = browser.post(PROBE, probe_body(tls_fake_ca), HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200
    assert "Terms of service of this CA" in answer.content.decode()
    assert [request.path for request in tls_fake_ca.received] == ["/directory"]


@pytest.mark.parametrize(
    ("ca_link", "linked"),
    [
        ("https://ca.example.net/terms", True),
        ("http://ca.example.net/terms", False),
        ("javascript:alert(document.cookie)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//ca.example.net/terms", False),
    ],
)
def test_links_from_the_directory_are_links_only_over_https(
    client, administrator, tls_fake_ca, ca_link, linked
):
    meta = {"termsOfService": ca_link, "website": ca_link}
    tls_fake_ca._directory = {**tls_fake_ca.directory(), "meta": meta}
    client.force_login(administrator)
    info = client.post(PROBE, probe_body(tls_fake_ca)).content.decode()
    assert "Terms of service of this CA" in info and "Website of this CA" in info
    if linked:
        assert info.count(f'<a href="{ca_link}" target="_blank" rel="noopener noreferrer">') == 2
    else:
        assert "<a " not in info and "href" not in info
        assert info.count("(not an https link)") == 2
        assert "<script>" not in info


def test_operators_may_not_probe(client, operator, tls_fake_ca):
    client.force_login(operator)
    assert client.post(PROBE, probe_body(tls_fake_ca)).status_code == 403
    assert tls_fake_ca.received == []
