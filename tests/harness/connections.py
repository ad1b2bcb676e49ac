"""Watch the sockets a test opens, through Python's audit hooks (PEP 578).

`connections_recorded()` lists every address a socket connects to while it is open,
and blocks, before any packet is sent, every connection to an address that is not
loopback: a test of a refusal never sends traffic off this machine, even when the
code under test is broken and does not refuse.
"""

import contextlib
import ipaddress
import sys
import threading
from collections.abc import Iterator

_recordings: list[list[str]] = []
_lock = threading.Lock()
_hook_installed = False


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _on_audit_event(event: str, args: tuple) -> None:
    if event != "socket.connect" or not _recordings:
        return
    address = args[1]
    if not isinstance(address, tuple):
        return  # a Unix socket
    host = str(address[0])
    with _lock:
        for recording in _recordings:
            recording.append(host)
    if not _is_loopback(host):
        raise ConnectionRefusedError(f"the test blocked a connection to {host}")


@contextlib.contextmanager
def connections_recorded() -> Iterator[list[str]]:
    """The addresses connected to (or tried) inside the block; non-loopback ones are
    refused by the test itself."""
    global _hook_installed
    with _lock:
        if not _hook_installed:
            sys.addaudithook(_on_audit_event)  # an audit hook cannot be removed: add it once
            _hook_installed = True
        recording: list[str] = []
        _recordings.append(recording)
    try:
        yield recording
    finally:
        with _lock:
            _recordings.remove(recording)
