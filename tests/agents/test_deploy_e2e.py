"""Deploying through SSH to real end servers (docs/features.md V6, V11): OpenSSH's sshd
from the harness, and per end server a real TLS server (tls_reload_server.py, standing
in for nginx) that reads its files again when the mapping's reload command signals it.
Each test checks with its own TLS handshake what the servers serve."""

import os
import signal
import socket
import ssl
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from acme_orders import actions as request_actions
from agents import ssh
from agents.choices import DeploymentStatus, MappingKind
from agents.deploy import BACKUP_SUFFIX, schedule_deployments
from agents.deployment_actions import retry_deployment
from agents.models import AgentMapping, Deployment
from agents.signals import deployment_failed
from agents.tasks import deploy_certificate
from certlife.models import AuditEvent
from tests.factories import (
    make_acme_account,
    make_certificate_pem,
    make_issued_request,
    make_key_pem,
    make_repository_certificate,
)
from tests.harness.process import ServiceProcess, port_accepts, start_on_free_ports
from tests.harness.ssh import fingerprint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]

NAME = "shop.example.com"
SERVER_SCRIPT = Path(__file__).with_name("tls_reload_server.py")


def served_serial(port: int, server_name: str = NAME) -> str:
    """The serial the server on `port` presents, read by this test's own handshake."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return format(x509.load_der_x509_certificate(der).serial_number, "x")


def serial_of(certificate_pem: str) -> str:
    return format(x509.load_pem_x509_certificate(certificate_pem.encode()).serial_number, "x")


@dataclass
class EndServer:
    """One web server's files and its TLS server."""

    directory: Path
    port: int
    process: ServiceProcess
    old_serial: str

    @property
    def fullchain(self) -> Path:
        return self.directory / "fullchain.pem"

    @property
    def certificate(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def key(self) -> Path:
        return self.directory / "privkey.pem"

    @property
    def pid_file(self) -> Path:
        return self.directory / "server.pid"

    def reload_command(self) -> str:
        return f"kill -HUP $(cat {self.pid_file})"

    def reloads(self) -> int:
        return self.process.this_run_log().count("reloaded")

    def files(self) -> dict[str, bytes]:
        """Every file of the site but the pid file, temporary (hidden) ones included."""
        return {
            path.name: path.read_bytes()
            for path in sorted(self.directory.iterdir())
            if path.name != "server.pid"
        }


def start_end_server(directory: Path) -> EndServer:
    """A TLS server serving an old certificate for NAME from files in `directory`."""
    directory.mkdir()
    key_pem = make_key_pem()
    certificate_pem = make_certificate_pem([NAME], key_pem, days_left=5)
    (directory / "cert.pem").write_text(certificate_pem)
    (directory / "fullchain.pem").write_text(certificate_pem)
    (directory / "privkey.pem").write_text(key_pem)
    (directory / "privkey.pem").chmod(0o600)

    def start_on(ports: list[int]) -> EndServer:
        (port,) = ports
        argv = [
            sys.executable,
            str(SERVER_SCRIPT),
            str(port),
            str(directory / "fullchain.pem"),
            str(directory / "privkey.pem"),
            str(directory / "server.pid"),
        ]
        process = ServiceProcess(f"tls-{port}", argv, directory.parent / f"tls-{port}.log")
        process.start().wait_ready(lambda: port_accepts(port) and bool(served_serial(port)))
        return EndServer(directory, port, process, serial_of(certificate_pem))

    return start_on_free_ports(start_on)


@pytest.fixture
def end_servers(tmp_path):
    servers = [start_end_server(tmp_path / name) for name in ("site-a", "site-b")]
    yield servers
    for server in servers:
        server.process.stop()


def linux_mapping(ssh_server, end_server: EndServer, **fields) -> AgentMapping:
    values = {
        "kind": MappingKind.LINUX,
        "domain": NAME,
        "deploy": True,
        "host": ssh_server.host,
        "port": ssh_server.port,
        "username": ssh_server.user,
        "private_key": ssh_server.private_key_pem,
        "host_key_fingerprint": ssh_server.host_key_fingerprint,
        "certificate_path": str(end_server.certificate),
        "fullchain_path": str(end_server.fullchain),
        "key_path": str(end_server.key),
        "file_mode": "0640",
        "reload_command": end_server.reload_command(),
        "tls_port": end_server.port,
        **fields,
    }
    return AgentMapping.objects.create(**values)


def save_issued(actor, django_capture_on_commit_callbacks, domains=(NAME,)):
    """Save an issued certificate as a person does; returns it and its deployments, run
    one by one by the deploy task (in this process: the task is what a worker runs)."""
    issued = make_issued_request(make_acme_account(), domains=list(domains))
    with django_capture_on_commit_callbacks(execute=False):
        certificate = request_actions.save_to_repository(issued, actor=actor)
    deployments = list(Deployment.objects.filter(certificate=certificate).order_by("id"))
    for deployment in deployments:
        deploy_certificate(deployment.pk)
    return certificate, [Deployment.objects.get(pk=d.pk) for d in deployments]


@pytest.fixture
def failures():
    received = []

    def receive(sender, *, deployment, error, **kwargs):
        received.append((deployment.pk, error))

    deployment_failed.connect(receive, dispatch_uid="test-deployment-failures")
    yield received
    deployment_failed.disconnect(dispatch_uid="test-deployment-failures")


def test_a_saved_certificate_deploys_to_every_end_server_of_its_name(
    ssh_server, end_servers, operator, django_capture_on_commit_callbacks, failures
):
    for server in end_servers:
        linux_mapping(ssh_server, server)
    # A mapping that does not deploy, and one for another name, receive nothing.
    linux_mapping(ssh_server, end_servers[0], deploy=False, key_path="/nonexistent/a.pem")
    linux_mapping(ssh_server, end_servers[0], domain="other.example.com")

    certificate, deployments = save_issued(operator, django_capture_on_commit_callbacks)

    version = certificate.current_version
    assert [d.host for d in deployments] == ["127.0.0.1", "127.0.0.1"]
    for deployment, server in zip(deployments, end_servers, strict=True):
        assert deployment.status == DeploymentStatus.SUCCEEDED, deployment.output
        assert deployment.served_serial == version.serial_number
        assert deployment.version == version and deployment.attempts == 1
        assert deployment.error == ""
        # The files landed at the mapped paths, with the asked modes.
        assert server.certificate.read_text() == version.certificate_pem.strip() + "\n"
        assert server.key.read_text() == version.private_key_pem.strip() + "\n"
        assert stat.S_IMODE(server.key.stat().st_mode) == 0o600
        assert stat.S_IMODE(server.certificate.stat().st_mode) == 0o640
        assert stat.S_IMODE(server.fullchain.stat().st_mode) == 0o640
        # The previous files are kept beside them.
        backup = Path(str(server.fullchain) + BACKUP_SUFFIX)
        assert serial_of(backup.read_text()) == server.old_serial
        # The reload command ran, and the server serves the new serial.
        assert server.reloads() == 1
        assert served_serial(server.port) == version.serial_number != server.old_serial
        assert f"serves serial {version.serial_number}" in deployment.output
        assert "PRIVATE KEY" not in deployment.output
    assert failures == []
    # The key left certlife through the release gate, once per end server.
    releases = AuditEvent.objects.filter(action="certificate.deploy").order_by("id")
    assert [event.detail["recipient"] for event in releases] == [
        f"127.0.0.1:{server.key}" for server in end_servers
    ]
    assert {event.actor_name for event in releases} == {operator.username}
    assert all(event.detail["include_key"] for event in releases)


def test_a_failing_config_test_leaves_the_previous_files_served_and_a_retry_deploys(
    ssh_server, end_servers, operator, django_capture_on_commit_callbacks, failures
):
    server = end_servers[0]
    test_command = "echo 'nginx: [emerg] cannot load certificate' >&2; exit 1"
    mapping = linux_mapping(ssh_server, server, test_command=test_command)
    before = server.files()

    certificate, [deployment] = save_issued(operator, django_capture_on_commit_callbacks)

    assert deployment.status == DeploymentStatus.ROLLED_BACK
    assert "nginx: [emerg] cannot load certificate" in deployment.output
    assert "The config test failed (exit status 1)" in deployment.error
    assert "previous files are back in place" in deployment.error
    # The previous certificate and key are in place, nothing else is left, and the
    # server was not reloaded: it serves the previous certificate.
    assert server.files() == before
    assert server.reloads() == 0
    assert served_serial(server.port) == server.old_serial
    assert failures == [(deployment.pk, deployment.error)]

    # Fixed on the server (here: the test now passes), a retry deploys.
    mapping.test_command = "true"
    mapping.save()
    retry_deployment(deployment, actor=operator)
    deploy_certificate(deployment.pk)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUCCEEDED, deployment.output
    assert deployment.attempts == 2
    assert served_serial(server.port) == certificate.current_version.serial_number
    assert AuditEvent.objects.filter(action="deployment.retry", actor=operator).count() == 1


def test_a_failing_reload_restores_the_previous_files_and_reloads_them(
    ssh_server, end_servers, operator, django_capture_on_commit_callbacks
):
    server = end_servers[0]
    # The first reload signals the server (which reads the new files), then reports
    # failure: certlife must put the previous files back and reload again (which works).
    failed_once = server.directory.parent / "failed-once"
    reload_command = (
        f"{server.reload_command()}; sleep 1; "
        f"if [ ! -e {failed_once} ]; then touch {failed_once}; exit 3; fi"
    )
    linux_mapping(ssh_server, server, reload_command=reload_command)
    before = server.files()

    _, [deployment] = save_issued(operator, django_capture_on_commit_callbacks)

    assert deployment.status == DeploymentStatus.ROLLED_BACK, deployment.output
    assert "The reload failed (exit status 3)" in deployment.error
    assert "and the server was reloaded with them" in deployment.error
    assert deployment.output.count(server.reload_command()) == 2
    assert server.files() == before
    # Served again: the previous certificate (the second reload is asynchronous too).
    assert served_serial_soon(server.port, server.old_serial)


def served_serial_soon(port: int, expected: str) -> bool:
    for _ in range(50):
        if served_serial(port) == expected:
            return True
        time.sleep(0.1)
    return False


def test_a_changed_host_key_refuses_the_deployment_and_writes_nothing(
    ssh_server, end_servers, operator, django_capture_on_commit_callbacks, failures
):
    server = end_servers[0]
    # The key pinned when the mapping was made is not the one the server shows now.
    other_key_line = (Path(ssh_server.private_key_path + ".pub")).read_text().strip()
    pinned = fingerprint(other_key_line)
    assert pinned != ssh_server.host_key_fingerprint
    linux_mapping(ssh_server, server, host_key_fingerprint=pinned)
    before = server.files()

    _, [deployment] = save_issued(operator, django_capture_on_commit_callbacks)

    assert deployment.status == DeploymentStatus.FAILED
    assert "host key changed" in deployment.error
    assert ssh_server.host_key_fingerprint in deployment.error and pinned in deployment.error
    assert server.files() == before
    assert sorted(p.name for p in server.directory.iterdir()) == [
        "cert.pem",
        "fullchain.pem",
        "privkey.pem",
        "server.pid",
    ]
    assert served_serial(server.port) == server.old_serial
    assert not AuditEvent.objects.filter(action="certificate.deploy").exists()
    assert failures == [(deployment.pk, deployment.error)]


def test_a_revoked_certificate_is_never_deployed(ssh_server, end_servers, operator):
    server = end_servers[0]
    linux_mapping(ssh_server, server)
    revoked = make_repository_certificate([NAME], status="revoked")
    assert schedule_deployments(revoked.current_version, actor=operator) == []

    # Revoked after it was scheduled: the task refuses it too.
    active = make_repository_certificate([NAME])
    [deployment] = schedule_deployments(active.current_version, actor=operator)
    active.status = "revoked"
    active.save()
    deploy_certificate(deployment.pk)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FAILED
    assert "revoked" in deployment.error
    assert server.reloads() == 0
    assert served_serial(server.port) == server.old_serial


def test_a_key_that_does_not_match_its_certificate_is_not_sent(ssh_server, end_servers, operator):
    server = end_servers[0]
    linux_mapping(ssh_server, server)
    certificate = make_repository_certificate([NAME])
    version = certificate.current_version
    version.private_key_pem = make_key_pem()
    version.save()
    before = server.files()

    [deployment] = schedule_deployments(version, actor=operator)
    deploy_certificate(deployment.pk)

    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FAILED
    assert "does not match its certificate" in deployment.error
    assert server.files() == before


def test_the_served_serial_is_checked(ssh_server, end_servers, operator):
    """A reload command that does not reload: the files are new, the served serial is
    not, and the deployment says so."""
    server = end_servers[0]
    linux_mapping(ssh_server, server, reload_command="true")
    certificate = make_repository_certificate([NAME])
    [deployment] = schedule_deployments(certificate.current_version, actor=operator)
    deploy_certificate(deployment.pk)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FAILED
    assert deployment.served_serial == server.old_serial
    assert f"serves serial {server.old_serial}" in deployment.error
    assert "may not have reloaded" in deployment.error
    os.kill(int(server.pid_file.read_text()), signal.SIGHUP)  # the server itself is fine
    assert served_serial_soon(server.port, certificate.current_version.serial_number)


@pytest.mark.django_db(transaction=True)
def test_saving_through_the_api_deploys_through_a_real_worker(
    celery_worker, ssh_server, end_servers, operator, api_as
):
    for server in end_servers:
        linux_mapping(ssh_server, server)
    issued = make_issued_request(make_acme_account(), domains=[NAME])
    api = api_as(operator)

    saved = api.post(f"/api/v1/requests/{issued.pk}/save/")

    assert saved.status_code == 200, saved.content
    certificate_id = saved.json()["certificate"]
    deadline, answers = time.monotonic() + 60, []
    while time.monotonic() < deadline:
        answers = api.get(f"/api/v1/deployments/?certificate={certificate_id}").json()["results"]
        if answers and all(a["status"] not in ("pending", "running") for a in answers):
            break
        time.sleep(0.5)
    serial = Deployment.objects.filter(pk=answers[0]["id"]).get().version.serial_number
    assert sorted(a["status"] for a in answers) == ["succeeded", "succeeded"], answers
    assert [a["served_serial"] for a in answers] == [serial, serial]
    for server in end_servers:
        assert served_serial(server.port) == serial


def test_an_unexpected_error_after_the_first_renames_restores_the_previous_files(
    ssh_server, end_servers, operator, monkeypatch
):
    """Fault injection: the key's rename breaks with an error nobody mapped, after the
    certificate and full chain were renamed into place."""
    server = end_servers[0]
    linux_mapping(ssh_server, server)
    before = server.files()
    real_rename, broken = ssh.rename_file, []

    def rename_breaking_on_the_key(connection, source, target):
        if target == str(server.key) and not broken:  # once: the restore's rename works
            broken.append(source)
            raise RuntimeError("connection reset in the middle of a rename")
        return real_rename(connection, source, target)

    monkeypatch.setattr(ssh, "rename_file", rename_breaking_on_the_key)
    certificate = make_repository_certificate([NAME])
    [deployment] = schedule_deployments(certificate.current_version, actor=operator)
    deploy_certificate(deployment.pk)

    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.ROLLED_BACK, deployment.output
    assert "An unexpected error stopped the deployment (RuntimeError: connection reset" in (
        deployment.error
    )
    assert server.files() == before
    assert server.reloads() == 0
    assert served_serial(server.port) == server.old_serial
