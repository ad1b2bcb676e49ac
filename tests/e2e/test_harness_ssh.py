import io

import paramiko
import pytest

pytestmark = pytest.mark.e2e


def _pinned_client(ssh_server) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    entry = paramiko.hostkeys.HostKeyEntry.from_line(ssh_server.known_hosts_line)
    client.get_host_keys().add(entry.hostnames[0], entry.key.get_name(), entry.key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return client


def _connect(client, ssh_server, key):
    client.connect(
        ssh_server.host,
        port=ssh_server.port,
        username=ssh_server.user,
        pkey=key,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )


def test_key_login_runs_command_and_sftp_writes_under_web_root(ssh_server):
    key = paramiko.Ed25519Key.from_private_key(io.StringIO(ssh_server.private_key_pem))
    with _pinned_client(ssh_server) as client:
        _connect(client, ssh_server, key)
        host_key = client.get_transport().get_remote_server_key()
        assert host_key.fingerprint == ssh_server.host_key_fingerprint

        _, stdout, _ = client.exec_command("id -un", timeout=10)
        assert stdout.read().decode().strip() == "root"
        assert stdout.channel.recv_exit_status() == 0

        # The server (and its web root) is shared by the session: other tests may have
        # made these folders already.
        token_path = ssh_server.web_root / ".well-known" / "acme-challenge" / "token-1"
        with client.open_sftp() as sftp:
            for folder in (token_path.parent.parent, token_path.parent):
                if not folder.exists():
                    sftp.mkdir(str(folder))
            with sftp.open(str(token_path), "w") as remote_file:
                remote_file.write("key-authorization")
            with sftp.open(str(token_path)) as remote_file:
                assert remote_file.read() == b"key-authorization"
    assert token_path.read_text() == "key-authorization"


def test_private_key_file_works_too(ssh_server):
    key = paramiko.Ed25519Key.from_private_key_file(ssh_server.private_key_path)
    with _pinned_client(ssh_server) as client:
        _connect(client, ssh_server, key)


def test_wrong_key_is_refused(ssh_server):
    with _pinned_client(ssh_server) as client, pytest.raises(paramiko.AuthenticationException):
        _connect(client, ssh_server, paramiko.ECDSAKey.generate())


def test_unknown_host_key_is_rejected(ssh_server):
    key = paramiko.Ed25519Key.from_private_key(io.StringIO(ssh_server.private_key_pem))
    with paramiko.SSHClient() as client, pytest.raises(paramiko.SSHException):
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        _connect(client, ssh_server, key)
