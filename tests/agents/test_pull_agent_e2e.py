"""The pull agent end to end (docs/features.md V4): the package downloaded from the API
is unpacked and its agent runs as a separate process, without Django or any installed
package (`python -I -S`), against certlife served over HTTPS. It publishes the HTTP-01
token in its web root, which a plain web server serves to Pebble, so Pebble validates
the name; it removes the token afterwards; once the certificate is saved, its
deployment is a job the agent picks up, and the agent installs it in the Linux file
layout; once revoked, its token is refused.

Pebble and BIND are real; the test process plays the Celery worker (InProcessWorker)."""

import io
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from acme_orders.actions import save_to_repository
from acme_orders.models import Challenge
from agents.models import AgentJob, AgentMapping, Deployment
from agents.tasks import deploy_certificate
from certlife.models import AuditEvent
from tests.acme_orders.e2e_helpers import PATIENCE_SECONDS, InProcessWorker, new_request
from tests.harness.tls import write_server_certificate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def https_certlife(tmp_path_factory, settings):
    """certlife's web app on a loopback HTTPS port with the harness CA's certificate,
    where agents reach it; (base URL, CA bundle path)."""
    ca_bundle, certificate, key = write_server_certificate(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"https://127.0.0.1:{server.server_address[1]}"
    settings.CERTLIFE_BASE_URL = base_url
    yield base_url, str(ca_bundle)
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(monkeypatch):
    return InProcessWorker(monkeypatch)


def wait_until(condition, what: str, seconds: float = PATIENCE_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {seconds} s")


def unpack(zip_bytes: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        archive.extractall(into)
    return into / "certlife-agent"


def agent_process(folder: Path, command: str, log_path: Path | None = None):
    """The agent program as a bare Python runs it: no site-packages (-S), no repository
    on the path (-I), so it can only use the standard library."""
    argv = [sys.executable, "-I", "-S", str(folder / "certlife_agent.py"), command]
    argv += ["--config", str(folder / "certlife-agent.json")]
    environment = {"PATH": os.environ["PATH"]}
    if log_path is None:
        return subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=60)
    return subprocess.Popen(  # noqa: S603
        argv, stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=environment, cwd=folder
    )


def test_the_downloaded_agent_validates_installs_and_is_refused_once_revoked(
    https_certlife, worker, api_as, administrator, pebble, pebble_account, tmp_path
):
    base_url, ca_bundle = https_certlife
    api = api_as(administrator)

    created = api.post("/api/v1/agents/", {"name": "web-1"}, format="json")
    assert created.status_code == 201, created.content
    agent_id, first_token = created.json()["id"], created.json()["token"]
    listed = api.get("/api/v1/agents/").json()["results"]
    assert listed == [
        {"id": agent_id, "name": "web-1", "last_seen_at": None, "revoked": False}
    ]  # fmt: skip

    package = api.get(f"/api/v1/agents/{agent_id}/package/")
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    folder = unpack(package.content, tmp_path / "unpacked")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.txt", "certlife-agent.json", "certlife_agent.py", "install-systemd.sh",
        "install.cmd", "install.ps1", "uninstall.cmd",
    ]  # fmt: skip
    assert "Python 3.9 or newer" in (folder / "README.txt").read_text()
    config = json.loads((folder / "certlife-agent.json").read_text())
    assert config["server_url"] == base_url
    # Downloading gave the agent a fresh token: the one shown at creation is refused.
    assert config["token"].startswith("cla_") and config["token"] != first_token
    refused = requests.get(
        base_url + "/api/v1/agent/jobs/",
        headers={"Authorization": f"Bearer {first_token}"},
        verify=ca_bundle,
        timeout=10,
    )
    assert refused.status_code == 401

    # What an administrator sets on the server: the CA of certlife's certificate and
    # where certificates go.
    site = tmp_path / "site"
    marker = tmp_path / "reloaded"
    config.update(
        ca_bundle=ca_bundle,
        poll_seconds=1,
        certificate_path=str(site / "cert.pem"),
        chain_path=str(site / "chain.pem"),
        fullchain_path=str(site / "fullchain.pem"),
        key_path=str(site / "key.pem"),
        test_command="true",
        reload_command=f"touch {marker}",
    )
    (folder / "certlife-agent.json").write_text(json.dumps(config))
    checked = agent_process(folder, "check")
    assert checked.returncode == 0, checked.stderr
    assert config["token"] not in checked.stdout + checked.stderr

    web_root = tmp_path / "www"
    name = f"agent-{uuid.uuid4().hex[:8]}.example.com"
    AgentMapping.objects.create(
        kind="windows", domain=name, agent_id=agent_id, web_root=str(web_root), deploy=True
    )
    log_path = tmp_path / "agent.log"
    process = agent_process(folder, "run", log_path)
    try:
        with pebble.http01_server(web_root=web_root) as site_server:
            request = new_request(pebble_account, administrator, [name])
            request = worker.drive(request.pk)
        assert request.status == "available", request.error
        challenge = Challenge.objects.get(request=request)
        assert challenge.solver == "agent"
        token_path = f"/.well-known/acme-challenge/{challenge.token}"
        assert token_path in site_server.requested_paths  # Pebble fetched it from the agent's files
        publish = AgentJob.objects.get(kind="publish-http01", token=challenge.token)
        assert (publish.status, publish.agent_id) == ("succeeded", agent_id)
        # The token file is removed by the agent once the challenge is over.
        token_file = web_root / ".well-known" / "acme-challenge" / challenge.token
        wait_until(lambda: not token_file.exists(), "the agent removes the token")
        assert api.get("/api/v1/agents/").json()["results"][0]["last_seen_at"]

        # Saved to the repository, the certificate deploys to the mapping: the agent
        # fetches the install job and writes the Linux layout.
        certificate = save_to_repository(request, actor=administrator)
        deployment = Deployment.objects.get(certificate=certificate)
        assert deployment.host == "pull agent web-1"
        deploy_certificate(deployment.pk)  # the worker's step: hands it to the agent
        deployment = wait_until(
            lambda: Deployment.objects.filter(pk=deployment.pk, finished_at__isnull=False).first(),
            "the agent reports the install",
        )
        assert deployment.status == "succeeded", deployment.error
        version = certificate.current_version
        assert (site / "cert.pem").read_text() == version.certificate_pem.strip() + "\n"
        assert (site / "key.pem").read_text().strip() == version.private_key_pem.strip()
        assert (site / "key.pem").stat().st_mode & 0o777 == 0o600
        assert (site / "fullchain.pem").read_text().startswith(version.certificate_pem.strip())
        assert marker.exists()  # the reload command ran
        released = AuditEvent.objects.get(action="certificate.deploy")
        assert released.detail["include_key"] is True
        assert "pull agent web-1" in released.detail["recipient"]

        # Revoked: the running agent and the program's check are refused.
        assert api.post(f"/api/v1/agents/{agent_id}/revoke/").json()["revoked"] is True
        checked = agent_process(folder, "check")
        assert checked.returncode == 2 and "HTTP 401" in checked.stderr
        wait_until(lambda: "token is revoked or replaced" in log_path.read_text(), "refusal logged")
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = log_path.read_text()
    assert config["token"] not in log
    assert "publish-http01): succeeded" in log, log
