"""Starting and stopping one service process, with its log kept on disk."""

import atexit
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

START_TIMEOUT = 20.0

_running: set["ServiceProcess"] = set()


def require_binary(path: str, debian_package: str) -> str:
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"{path} is missing: install the Debian package {debian_package!r} "
            f"(apt-get install {debian_package})",
            pytrace=False,
        )
    return path


def free_ports(count: int, udp_too: bool = False) -> list[int]:
    """Distinct loopback ports the kernel just handed out (free for UDP too, if asked)."""
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


def free_port(udp_too: bool = False) -> int:
    return free_ports(1, udp_too)[0]


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

    def start(self) -> "ServiceProcess":
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
        """Poll `is_ready` until it returns True; on exit or timeout stop and fail with the log."""
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

    def _fail(self, why: str):
        self.stop()
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
