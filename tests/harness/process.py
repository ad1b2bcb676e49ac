"""Starting and stopping one service process, with its log kept on disk."""

import atexit
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")
# Generous: several suites may start services at once on a small shared machine.
START_TIMEOUT = 60.0
START_ATTEMPTS = 5
# What Pebble (Go), sshd, named and Python servers say when their port is taken.
PORT_TAKEN_MESSAGES = (
    "address already in use",
    "address in use",
    "cannot bind any address",
    "unable to listen on any configured interfaces",
)

_running: set["ServiceProcess"] = set()


class PortTaken(Exception):
    """A service could not bind its port: another process took it after it was picked."""


def require_binary(path: str, debian_package: str) -> str:
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"{path} is missing: install the Debian package {debian_package!r} "
            f"(apt-get install {debian_package})",
            pytrace=False,
        )
    return path


def free_ports(count: int, udp_too: bool = False) -> list[int]:
    """Distinct loopback ports the kernel just handed out (free for UDP too, if asked).
    They are free now, not later: another process may bind one before our service
    does. Start services through `start_on_free_ports`, which starts again on new ports
    when that happens; a port that must stay ours is a `ReservedPort`."""
    held, ports = [], []
    try:
        while len(ports) < count:
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(tcp)
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            if udp_too:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(udp)
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def start_on_free_ports(start: Callable[[list[int]], T], count: int = 1, udp_too=False) -> T:
    """`start(ports)` -> the started, ready service. When the service could not bind
    one of its ports (raised PortTaken), it is started again on new ones."""
    taken = None
    for _attempt in range(START_ATTEMPTS):
        try:
            return start(free_ports(count, udp_too))
        except PortTaken as error:
            taken = error
    pytest.fail(f"{taken}, {START_ATTEMPTS} times on new ports", pytrace=False)


class ReservedPort:
    """A loopback port held while this object lives: bound but not listening, so no
    other process can take it and connections to it are refused, until one of our
    servers listens on it (socketserver's servers set SO_REUSEADDR and bind beside it).
    For a port that must be known before its server exists (where Pebble sends HTTP-01
    validations) and for a port that must refuse connections."""

    def __init__(self, udp_too: bool = False):
        self._sockets: list[socket.socket] = []
        while not self._sockets:
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", 0))
            self.port: int = tcp.getsockname()[1]
            held = [tcp]
            if udp_too:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    udp.bind(("127.0.0.1", self.port))
                except OSError:
                    udp.close()
                    tcp.close()
                    continue
                held.append(udp)
            self._sockets = held

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def __enter__(self) -> "ReservedPort":
        return self

    def __exit__(self, *exc_info):
        self.close()


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class ServiceProcess:
    """One long-running child process whose output goes to `log_path`."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = Path(log_path)
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self._log_start = 0

    def start(self) -> "ServiceProcess":
        # The log may hold earlier runs (a restarted worker): read this run's part only.
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
            )
        _running.add(self)
        return self

    def wait_ready(self, is_ready: Callable[[], bool], timeout: float = START_TIMEOUT):
        """Poll `is_ready` until it returns True. On exit or timeout, stop: raise PortTaken
        if the log says the port was taken, else fail with the log. `is_ready` must
        recognise this very service, not any server that answers on its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"exited with status {self.process.returncode} while starting")
            try:
                if is_ready():
                    return self
            except Exception:  # noqa: S110 - not ready yet; the log says why if it never is
                pass
            time.sleep(0.1)
        self._fail(f"not ready after {timeout:.0f} s")

    def this_run_log(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_start)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _fail(self, why: str):
        self.stop()
        logged = self.this_run_log().lower()
        if any(message in logged for message in PORT_TAKEN_MESSAGES):
            raise PortTaken(f"{self.name} found its port taken ({why})")
        pytest.fail(
            f"{self.name} ({' '.join(self.argv)}) {why}.\n"
            f"Log {self.log_path}, last lines:\n{self.log_tail()}",
            pytrace=False,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log file)"
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

    def stop(self, timeout: float = 5.0):
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        _running.discard(self)


@atexit.register
def _stop_leftovers():
    # Fixtures stop their services; this covers an interpreter that exits without teardown.
    for service in list(_running):
        service.stop(timeout=2)
