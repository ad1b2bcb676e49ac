"""Shared by the query-parameter walk and the API fuzz test: hostile values, one row of
every kind under one id, and a guard that keeps the tests off the network."""

import http.server
import socket
import threading
from dataclasses import dataclass

import pytest

from accounts.models import AcmeAccount
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion, Challenge
from agents.models import AgentMapping
from alerts.models import AlertChannel
from certlife.models import AuditEvent
from dns_providers.models import DnsAccount
from tests.factories import make_certificate_pem, make_key_pem

# Every fixture row has this primary key, so a route's `<pk>` names an existing object
# whatever its model is. Sequences of a fresh test database stay far below it.
FIXTURE_ID = 4242

HOSTILE_IDS = [
    "0",
    "-1",
    "99999999999999999999",  # past bigint
    "9223372036854775808",  # bigint max + 1
    "abc",
    "١٠",  # Arabic-Indic digits: int() takes them
    "٤٢٤٢",  # FIXTURE_ID in Arabic-Indic digits
    "1e9",
    "4242.0",
    " 4242",
    "%00",
    "\x00",
    "x" * 5000,
]

HOSTILE_STRINGS = [
    "",
    "abc",
    "0",
    "-1",
    "99999999999999999999",
    "١٠",
    "²",  # a digit to str.isdigit(), not to int()
    "1e9",
    "a\x00b",
    "\x00",
    "\r\n\t\x1b[31m",
    "\ud7ff\uffff",
    "' OR 1=1 --",
    "%",
    "x" * 20_000,
]

# Every parameter name a page or an API route reads, and some it does not.
QUERY_PARAMETERS = [
    "page", "page_size", "status", "expiry", "name", "q", "account", "profile",
    "ordering", "actor", "action", "outcome", "since", "until", "format",
    "include_key", "directory", "certificate", "o", "p", "e", "unknown",
]  # fmt: skip


class OutboundConnection(AssertionError):
    """A test tried to reach something that is not on this machine."""


class NotACertificateAuthority(http.server.BaseHTTPRequestHandler):
    """Answers every request with a 404 and no ACME problem document: for certlife a
    permanent error (not an ACME server), so a call fails at once, without retries."""

    def do_GET(self):
        self.send_error(404)

    do_HEAD = do_POST = do_GET

    def log_message(self, *args):
        pass


@dataclass
class Offline:
    """Where an account's CA "lives" (a local server that is no CA), and every attempt
    to reach further than loopback."""

    ca_url: str
    attempts: list


def _is_loopback(host) -> bool:
    return host in ("localhost", "testserver") or str(host).startswith(("127.", "::1"))


@pytest.fixture
def offline(monkeypatch):
    """Outbound calls fail at once, locally: a connection or name lookup for anything
    but loopback is refused and recorded, and the fixture account's CA is a local
    server that answers no request."""
    attempts: list = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback(host):
            attempts.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "offline test")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(address)
            raise ConnectionRefusedError("offline test")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotACertificateAuthority)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Offline(ca_url=f"http://127.0.0.1:{server.server_address[1]}", attempts=attempts)
    server.shutdown()
    server.server_close()


@pytest.fixture
def one_of_everything(db, offline, administrator):
    """One row of every model a route shows, each with the id FIXTURE_ID."""
    key_pem = make_key_pem()
    account = AcmeAccount.objects.create(
        pk=FIXTURE_ID,
        name="Local CA",
        email="ops@example.com",
        directory_url=f"{offline.ca_url}/directory",
        key_pem=make_key_pem(),
        account_url=f"{offline.ca_url}/acct/1",
    )
    dns_account = DnsAccount.objects.create(
        pk=FIXTURE_ID, provider="cloudflare", name="CF", credentials='{"api_token": "t"}'
    )
    certificate_pem = make_certificate_pem(["www.example.com"], key_pem, days_left=40)
    certificate = Certificate.objects.create(
        pk=FIXTURE_ID, common_name="www.example.com", domains=["www.example.com"]
    )
    version = CertificateVersion.from_pem(
        certificate=certificate,
        certificate_pem=certificate_pem,
        chain_pem="",
        private_key_pem=key_pem,
        created_by=administrator,
        created_by_name=administrator.username,
    )
    version.pk = FIXTURE_ID
    version.save()
    certificate.current_version = version
    certificate.save(update_fields=["current_version"])
    request = CertificateRequest.objects.create(
        pk=FIXTURE_ID, account=account, domains=["www.example.com"], challenge_type="dns-01",
        key_algorithm="EC", key_size=256, signature_algorithm="SHA256withECDSA",
        keystore_type="PEM", status="available", certificate_pem=certificate_pem,
        private_key_pem=key_pem, dns_account=dns_account, certificate=certificate,
    )  # fmt: skip
    Challenge.objects.create(
        pk=FIXTURE_ID, request=request, domain="www.example.com", type="dns-01",
        authorization_url=f"{offline.ca_url}/authz/1", token="fixture-token",
    )  # fmt: skip
    AuditEvent.objects.create(pk=FIXTURE_ID, actor_name="alice-admin", action="fixture")
    AlertChannel.objects.create(pk=FIXTURE_ID, name="Team", kind="email", target="team@example.com")
    AgentMapping.objects.create(
        pk=FIXTURE_ID, kind="linux", domain="www.example.com", host="192.0.2.10",
        username="deploy", password="fixture-password", web_root="/var/www",
        host_key_fingerprint="SHA256:" + "F" * 43,
    )  # fmt: skip
    return {"account": account, "dns_account": dns_account, "request": request}
