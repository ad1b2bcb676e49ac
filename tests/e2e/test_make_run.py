"""`make run` as the README promises: web, worker and beat on the embedded default."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def listening_port(log: Path) -> int | None:
    """The port gunicorn bound (it was given port 0), once its log says so."""
    match = LISTENING.search(log.read_text(errors="replace"))
    return int(match[1]) if match else None


def wait_for(predicate, *, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {seconds} s; log:\n{log.read_text()[-3000:]}")


def test_make_run_serves_login_and_dashboard_with_worker_and_beat(tmp_path):
    log = tmp_path / "make-run.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "CERTLIFE_", "DJANGO_", "SECRET_KEY"))
    }
    env.update(
        PORT="0",  # gunicorn binds a port of the kernel's choice: none can be taken first
        CERTLIFE_DATA_DIR=str(tmp_path / "data"),
        CERTLIFE_ADMIN_PASSWORD="Run-pass-2468",
    )
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=0o022,  # a shell's usual umask: certlife must not rely on a stricter one
        )
    try:
        wait_for(lambda: listening_port(log), seconds=90, what="gunicorn listens", log=log)
        base = f"http://127.0.0.1:{listening_port(log)}"
        wait_for(lambda: _answers(f"{base}/health/"), seconds=90, what="web answers", log=log)
        session = requests.Session()
        login_page = session.get(f"{base}/", timeout=5)
        assert login_page.url.startswith(f"{base}/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        dashboard = session.post(
            f"{base}/login/",
            data={"username": "admin", "password": "Run-pass-2468", "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/login/"},
            timeout=5,
        )
        assert "<h1>Dashboard</h1>" in dashboard.text
        # Beat sends a heartbeat at start; the worker records it; the warning goes away.
        wait_for(
            lambda: "Background work is not running" not in session.get(f"{base}/", timeout=5).text,
            seconds=60,
            what="the worker records beat's heartbeat",
            log=log,
        )
        assert (tmp_path / "data" / "certlife.sqlite3").exists()
        assert_owner_only(tmp_path / "data")
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # Everything make started shares its session (start_new_session above).
    leftover = subprocess.run(
        ["pgrep", "-s", str(process.pid)], capture_output=True, text=True
    ).stdout
    assert not leftover.strip(), "web, worker or beat still running after Ctrl-C"


def assert_owner_only(data: Path):
    """Everything web, worker and beat wrote in the data folder (database, broker,
    beat schedule, keys) is owner-only: folders 0700, files 0600."""
    modes = {
        str(path.relative_to(data.parent)): oct(path.stat().st_mode & 0o777)
        for path in [data, *data.rglob("*")]
    }
    assert {"data/celery-broker.sqlite3", "data/secret-keys"} <= set(modes)
    assert any(name.startswith("data/celerybeat-schedule") for name in modes), modes
    expected = {name: "0o700" if (data.parent / name).is_dir() else "0o600" for name in modes}
    assert modes == expected


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still starting up
        return False
