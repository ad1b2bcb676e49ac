"""Ports under parallel runs: a service whose port another process took before it could
bind is started again on a new port, never mistaken for the taker; a reserved port
refuses connections and cannot be taken, while our own servers listen on it in turn."""

import socket
import uuid

import pytest
import requests

from tests.harness import process
from tests.harness.bind import start_bind
from tests.harness.http01 import Http01TokenServer
from tests.harness.pebble import start_pebble
from tests.harness.process import ReservedPort
from tests.harness.ssh import start_sshd

pytestmark = pytest.mark.e2e


@pytest.fixture
def taken_port():
    """A port another process holds, on TCP (listening, silent) and UDP."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", tcp.getsockname()[1]))
    yield tcp.getsockname()[1]
    tcp.close()
    udp.close()


@pytest.fixture
def first_pick_taken(monkeypatch, taken_port):
    """The first ports a service is given include the taken one, as in a lost race."""
    picks = []
    pick = process.free_ports

    def lose_the_first_race(count, udp_too=False):
        ports = pick(count, udp_too)
        picks.append(ports)
        return [taken_port, *ports[1:]] if len(picks) == 1 else ports

    monkeypatch.setattr(process, "free_ports", lose_the_first_race)
    return picks


def test_bind_starts_again_on_a_new_port(first_pick_taken, taken_port, tmp_path):
    bind = start_bind(tmp_path)
    try:
        assert len(first_pick_taken) == 2 and bind.port != taken_port
        assert bind.query("example.com", "SOA")
    finally:
        bind.process.stop()


def test_sshd_starts_again_on_a_new_port(first_pick_taken, taken_port, tmp_path):
    server = start_sshd(tmp_path)
    try:
        assert len(first_pick_taken) == 2 and server.port != taken_port
    finally:
        server.process.stop()


def test_pebble_starts_again_on_a_new_port(first_pick_taken, taken_port, bind_dns, tmp_path):
    with ReservedPort() as http_port:
        pebble = start_pebble(
            tmp_path, f"{bind_dns.host}:{bind_dns.port}", http_port=http_port.port
        )
        try:
            assert len(first_pick_taken) == 2
            assert f":{taken_port}/" not in pebble.directory_url
            assert pebble.root_pem().startswith("-----BEGIN CERTIFICATE-----")
        finally:
            pebble.process.stop()


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_reserved_port_refuses_cannot_be_taken_and_serves_ours_in_turn():
    with ReservedPort(udp_too=True) as reserved:
        assert refuses(reserved.port)
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as other, pytest.raises(OSError):
                other.bind(("127.0.0.1", reserved.port))
        for _turn in range(2):
            token = uuid.uuid4().hex
            with Http01TokenServer(reserved.port, tokens={token: "answer"}):
                url = f"http://127.0.0.1:{reserved.port}/.well-known/acme-challenge/{token}"
                assert requests.get(url, timeout=5).text == "answer"
            assert refuses(reserved.port)
