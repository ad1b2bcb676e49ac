"""The SSH gateway against a real OpenSSH server (tests/harness/ssh.py)."""

import stat

import pytest

from agents import ssh
from agents.choices import MappingKind
from agents.errors import HostKeyChanged, HostKeyNotTrusted, SshError
from agents.models import AgentMapping

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

OTHER_FINGERPRINT = "SHA256:" + "A" * 43


def make_mapping(ssh_server, **fields) -> AgentMapping:
    values = {
        "kind": MappingKind.LINUX,
        "domain": "www.example.com",
        "host": ssh_server.host,
        "port": ssh_server.port,
        "username": ssh_server.user,
        "private_key": ssh_server.private_key_pem,
        "host_key_fingerprint": ssh_server.host_key_fingerprint,
        "web_root": str(ssh_server.web_root),
    }
    values.update(fields)
    return AgentMapping.objects.create(**values)


def test_fetches_the_fingerprint_openssh_prints(ssh_server, allow_loopback):
    assert (
        ssh.fetch_host_key_fingerprint(ssh_server.host, ssh_server.port)
        == ssh_server.host_key_fingerprint
    )


def test_an_unknown_host_key_is_recorded_and_refused(ssh_server, allow_loopback):
    mapping = make_mapping(ssh_server, host_key_fingerprint="")
    with pytest.raises(HostKeyNotTrusted) as refused, ssh.connect(mapping):
        pytest.fail("connected without a trusted host key")
    assert ssh_server.host_key_fingerprint in refused.value.message
    mapping.refresh_from_db()
    assert mapping.seen_host_key_fingerprint == ssh_server.host_key_fingerprint


def test_a_changed_host_key_is_refused_naming_both_keys(ssh_server, allow_loopback, tmp_path):
    mapping = make_mapping(ssh_server, host_key_fingerprint=OTHER_FINGERPRINT)
    with pytest.raises(HostKeyChanged) as refused, ssh.connect(mapping):
        pytest.fail("connected to a server with another host key")
    assert ssh_server.host_key_fingerprint in refused.value.message
    assert OTHER_FINGERPRINT in refused.value.message
    assert refused.value.permanent


def test_a_private_host_is_refused_without_the_allowance(ssh_server, settings):
    settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS = ()
    mapping = make_mapping(ssh_server)
    with pytest.raises(SshError, match="loopback") as refused, ssh.connect(mapping):
        pytest.fail("connected to a loopback address")
    assert refused.value.permanent


def test_a_wrong_key_is_refused_in_words(ssh_server, allow_loopback):
    from tests.factories import make_key_pem

    mapping = make_mapping(ssh_server, private_key=make_key_pem())
    refused_login = pytest.raises(SshError, match="refused user 'root' with the key")
    with refused_login, ssh.connect(mapping):
        pytest.fail("logged in with a key the server does not know")


def test_runs_commands_writes_and_removes_files(ssh_server, allow_loopback):
    mapping = make_mapping(ssh_server)
    target = ssh_server.web_root / "deep" / "dir" / "key.pem"
    with ssh.connect(mapping) as connection:
        result = ssh.run(connection, "echo out; echo err >&2; exit 3")
        assert (result.exit_status, result.succeeded) == (3, False)
        assert "out" in result.output and "err" in result.output
        ssh.make_directories(connection, str(target.parent))
        ssh.write_file(connection, str(target), b"first", mode="0600", owner="root:root")
        ssh.write_file(connection, str(target), b"second", mode="0600")
        assert ssh.read_file(connection, str(target)) == b"second"
        assert ssh.read_file(connection, str(target.parent / "none")) is None
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["key.pem"]  # no temporary left
    with ssh.connect(mapping) as connection:
        ssh.remove_file(connection, str(target))
        ssh.remove_file(connection, str(target))  # quiet when gone
    assert not target.exists()


def test_a_command_that_runs_too_long_times_out_and_output_is_bounded(ssh_server, allow_loopback):
    mapping = make_mapping(ssh_server)
    with ssh.connect(mapping) as connection:
        slow = ssh.run(connection, "sleep 5", timeout=1)
        loud = ssh.run(connection, "head -c 200000 /dev/zero | tr '\\0' x")
    assert slow.timed_out and slow.exit_status is None
    assert len(loud.output) < ssh.MAX_OUTPUT_BYTES + 100
    assert loud.output.endswith(ssh.OUTPUT_CUT_NOTICE) and loud.succeeded


def test_a_password_in_command_output_is_cut_out(ssh_server, allow_loopback):
    mapping = make_mapping(ssh_server, password="hunter2-secret-value")
    with ssh.connect(mapping) as connection:
        result = ssh.run(connection, "echo hunter2-secret-value")
    assert "hunter2-secret-value" not in result.output
