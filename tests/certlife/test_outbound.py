"""certlife.outbound: which places are refused, and that a refusal comes before any
connection. Real sockets on loopback only: `connections_recorded` blocks any other."""

import ipaddress
import socket

import pytest

from certlife.outbound import (
    RefusedDestination,
    address_problem,
    check_url,
    guarded_session,
    redact_credentials,
)
from tests.accounts.fake_ca import FakeCa, Redirector
from tests.certlife.test_settings_and_commands import run_manage
from tests.harness.connections import connections_recorded

SECOND_LOOPBACK = "127.0.0.2"  # stands in for a public CA: the only network allowed


@pytest.fixture(autouse=True)
def no_private_network_allowed(settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ()


@pytest.fixture
def allow_second_loopback(settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network(f"{SECOND_LOOPBACK}/32"),)


def test_the_allowed_networks_setting_is_read_and_a_bad_network_stops_start_up(tmp_path):
    script = "from django.conf import settings; print(settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS)"
    good = run_manage(
        "shell",
        "-c",
        script,
        tmp_path=tmp_path,
        env_extra={"CERTLIFE_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8, fd00::/8,10.1.2.3"},
    )
    assert good.returncode == 0, good.stderr
    assert "127.0.0.0/8" in good.stdout and "fd00::/8" in good.stdout
    assert "10.1.2.3/32" in good.stdout
    bad = run_manage(
        "check",
        tmp_path=tmp_path,
        env_extra={"CERTLIFE_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,10.0.0.0/33"},
    )
    assert bad.returncode != 0
    assert "CERTLIFE_ALLOWED_PRIVATE_NETWORKS: '10.0.0.0/33' is not a network" in bad.stderr


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "is a loopback address"),
        ("10.0.0.1", "is a private address"),
        ("172.16.5.4", "is a private address"),
        ("192.168.1.1", "is a private address"),
        ("169.254.10.10", "is a link-local address"),
        ("fe80::1", "is a link-local address"),
        ("fc00::1", "is a unique-local address"),
        ("fd12:3456::1", "is a unique-local address"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "is a multicast address"),
        ("ff02::1", "is a multicast address"),
        ("0.0.0.0", "is an unspecified address"),  # noqa: S104  (refused, not bound)
        ("::", "is an unspecified address"),
        ("240.0.0.1", "is a reserved"),
        ("192.0.2.1", "is a reserved"),
        ("2001:db8::1", "is a reserved"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1 (IPv4 127.0.0.1) is a loopback address"),
        ("::ffff:10.0.0.1", "is a private address"),
        ("64:ff9b::a00:1", "(IPv4 10.0.0.1) is a private address"),  # NAT64
        ("2002:a00:1::1", "(IPv4 10.0.0.1) is a private address"),  # 6to4
    ],
)
def test_non_public_addresses_are_refused_naming_the_rule_and_the_setting(address, words):
    problem = address_problem(address)
    assert problem is not None and words in problem
    assert problem.endswith(
        "certlife does not connect to private networks unless "
        "CERTLIFE_ALLOWED_PRIVATE_NETWORKS allows it."
    )


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe"]
)
def test_cloud_metadata_addresses_are_refused_even_when_their_network_is_allowed(settings, address):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ("169.254.0.0/16", "fd00::/8")
    assert "a cloud metadata address; certlife never connects to it" in address_problem(address)
    assert address_problem("169.254.1.1") is None
    assert address_problem("fd00:ec2::1") is None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address):
    assert address_problem(address) is None


def test_allowed_networks_cover_their_ipv4_mapped_forms(settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("fc00::/7"),
    )
    assert address_problem("127.0.0.5") is None
    assert address_problem("::ffff:127.0.0.1") is None
    assert address_problem("fd12::1") is None
    assert "is a private address" in address_problem("10.0.0.1")
    assert "is a loopback address" in address_problem("::1")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (
            "https://127.0.0.1/dir",
            "127.0.0.1 is a loopback address; certlife does not connect to private networks "
            "unless CERTLIFE_ALLOWED_PRIVATE_NETWORKS allows it.",
        ),
        ("https://127.1/dir", "127.0.0.1 is a loopback address"),
        ("http://2130706433/", "127.0.0.1 is a loopback address"),
        ("http://0x7f.1/", "127.0.0.1 is a loopback address"),
        ("https://[::ffff:127.0.0.1]:8443/dir", "(IPv4 127.0.0.1) is a loopback address"),
        ("https://[fe80::1%25eth0]/dir", "is a link-local address"),
        ("https://10.0.0.1/dir", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host name"),
        ("http://METADATA.Google.Internal./", "cloud metadata host name"),
        ("http://instance-data/latest/", "cloud metadata host name"),
        ("ftp://ca.example/dir", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("https://ca.example:99999/dir", "not a valid http(s) URL"),
        ("https:///dir", "no host name"),
    ],
)
def test_check_url_refuses_what_the_url_shows(url, words):
    with pytest.raises(RefusedDestination) as refused:
        check_url(url)
    assert words in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "https://acme:s3cret-pw@ca.example/dir",
        "https://:s3cret-pw@ca.example/dir",
        "https://s3cret-pw@ca.example/dir",
        "https://acme:s3cret-pw@127.0.0.1/dir",
    ],
)
def test_credentials_in_a_url_are_refused_and_never_repeated(url):
    with pytest.raises(RefusedDestination) as refused:
        check_url(url)
    assert "must not contain a user name or password" in refused.value.message
    assert "s3cret-pw" not in refused.value.message and "ca.example" not in refused.value.message


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://acme:s3cret-pw@ca.example/dir", "https://[credentials removed]@ca.example/dir"),
        ("acme:s3cret-pw@ca.example/dir", "[credentials removed]@ca.example/dir"),
        ("https://ca.example/dir?contact=a@b", "https://ca.example/dir?contact=a@b"),
        ("production", "production"),
    ],
)
def test_redacted_urls_keep_no_credentials(url, kept):
    assert redact_credentials(url) == kept


def test_public_looking_urls_pass_without_any_lookup():
    with connections_recorded() as connected:
        check_url("https://acme-v02.api.letsencrypt.org/directory")
        check_url("https://8.8.8.8/dir")
    assert connected == []


@pytest.fixture
def fake_ca():
    with FakeCa() as ca:
        yield ca


def test_a_loopback_server_is_refused_before_connecting_unless_allowed(settings, fake_ca):
    with connections_recorded() as connected, pytest.raises(RefusedDestination) as refused:
        guarded_session().get(fake_ca.directory_url, timeout=5)
    assert refused.value.message.startswith("127.0.0.1 is a loopback address")
    assert connected == [] and fake_ca.received == []

    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    assert guarded_session().get(fake_ca.directory_url, timeout=5).ok


def test_a_name_resolving_to_loopback_is_refused_when_connecting(fake_ca):
    url = f"http://localhost:{fake_ca.server.server_port}/directory"
    with connections_recorded() as connected, pytest.raises(RefusedDestination) as refused:
        guarded_session().get(url, timeout=5)
    assert refused.value.message.startswith("localhost resolves to 127.0.0.1, a loopback address")
    assert connected == [] and fake_ca.received == []


@pytest.mark.parametrize("host", ["10.0.0.1", "[::ffff:10.0.0.1]", "169.254.169.254"])
def test_private_addresses_are_never_connected_to(host):
    with connections_recorded() as connected, pytest.raises(RefusedDestination):
        guarded_session().get(f"http://{host}/directory", timeout=5)
    assert connected == []


def test_the_address_checked_is_the_address_connected_to(monkeypatch, allow_second_loopback):
    """A name whose DNS answer changes after the check (DNS rebinding) still reaches the
    address that was checked: the guard resolves once."""
    with FakeCa(host=SECOND_LOOPBACK) as ca:
        answers = iter([SECOND_LOOPBACK])
        real_getaddrinfo = socket.getaddrinfo

        def rebinding_resolver(host, port, *args, **kwargs):
            if host != "rebinding.test":
                return real_getaddrinfo(host, port, *args, **kwargs)
            address = next(answers, "10.0.0.1")  # the second answer points inside
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
        url = f"http://rebinding.test:{ca.server.server_port}/directory"
        with connections_recorded() as connected:
            response = guarded_session().get(url, timeout=5)
    assert response.ok and connected == [SECOND_LOOPBACK]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("fake_ca", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://user:pw@ca.example/dir", "must not contain a user name or password"),
    ],
)
def test_every_redirect_hop_is_checked(fake_ca, allow_second_loopback, target, words):
    location = fake_ca.directory_url if target == "fake_ca" else target
    with (
        Redirector(location, host=SECOND_LOOPBACK) as first_hop,
        connections_recorded() as connected,
        pytest.raises(RefusedDestination) as refused,
    ):
        guarded_session().get(first_hop.url + "/directory", timeout=5)
    assert words in refused.value.message
    assert len(first_hop.received) == 1 and fake_ca.received == []
    assert connected == [SECOND_LOOPBACK]


def test_through_a_proxy_the_url_is_checked_and_the_proxy_resolves(fake_ca):
    proxies = {"http": fake_ca.url, "https": fake_ca.url}  # the fake CA plays the proxy
    with connections_recorded() as connected:
        for refused_url in ("http://10.0.0.1/dir", "http://metadata.google.internal/"):
            with pytest.raises(RefusedDestination):
                guarded_session().get(refused_url, proxies=proxies, timeout=5)
        assert connected == [] and fake_ca.received == []

        proxied = guarded_session().get(
            "http://ca.example.test/directory", proxies=proxies, timeout=5
        )
    assert proxied.ok and fake_ca.received[0].path == "http://ca.example.test/directory"
