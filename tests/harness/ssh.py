"""OpenSSH's sshd on a loopback port with a throw-away host key and user key."""

import base64
import hashlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from .process import ServiceProcess, require_binary, start_on_free_ports

SSHD = "/usr/sbin/sshd"


@dataclass
class SshServer:
    host: str
    port: int
    user: str
    private_key_path: str
    private_key_pem: str
    host_public_key: str  # "ssh-ed25519 AAAA...", as in known_hosts
    host_key_fingerprint: str  # "SHA256:...", as ssh-keygen -l prints it
    web_root: Path
    process: ServiceProcess | None = field(default=None, repr=False)

    @property
    def known_hosts_line(self) -> str:
        return f"[{self.host}]:{self.port} {self.host_public_key}"


def _write_ed25519_key(path: Path) -> tuple[str, str]:
    """Write an OpenSSH private key to `path` (0600); return (private PEM, public line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public_line = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    path.touch(mode=0o600)
    path.write_text(private_pem)
    Path(f"{path}.pub").write_text(public_line + "\n")
    return private_pem, public_line


def fingerprint(public_line: str) -> str:
    blob = base64.b64decode(public_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _presents_host_key(port: int, host_public_key: str) -> bool:
    """sshd answers on `port` with our host key (not another run's sshd on that port)."""
    with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
        transport = paramiko.Transport(connection)
        try:
            transport.start_client(timeout=5)
            key = transport.get_remote_server_key()
        finally:
            transport.close()
    return f"{key.get_name()} {key.get_base64()}" == host_public_key


def start_sshd(workdir: Path) -> SshServer:
    require_binary(SSHD, "openssh-server")
    workdir = Path(workdir)
    # sshd insists on its privilege-separation directory.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    host_key_path = workdir / "ssh_host_ed25519_key"
    _, host_public_key = _write_ed25519_key(host_key_path)
    user_key_path = workdir / "id_ed25519"
    user_private_pem, user_public_key = _write_ed25519_key(user_key_path)
    authorized_keys = workdir / "authorized_keys"
    authorized_keys.write_text(user_public_key + "\n")
    authorized_keys.chmod(0o600)
    web_root = workdir / "www"
    web_root.mkdir()

    def start_on(ports: list[int]) -> SshServer:
        (port,) = ports
        config = workdir / "sshd_config"
        config.write_text(
            f"Port {port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {host_key_path}\n"
            f"PidFile {workdir}/sshd.pid\n"
            f"AuthorizedKeysFile {authorized_keys}\n"
            "PermitRootLogin prohibit-password\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            # The temp dir's parents (/tmp) are world-writable, which strict modes reject.
            "StrictModes no\n"
            "Subsystem sftp internal-sftp\n"
        )
        server = SshServer(
            host="127.0.0.1",
            port=port,
            user="root",
            private_key_path=str(user_key_path),
            private_key_pem=user_private_pem,
            host_public_key=host_public_key,
            host_key_fingerprint=fingerprint(host_public_key),
            web_root=web_root,
        )
        server.process = ServiceProcess(
            "sshd", [SSHD, "-D", "-e", "-f", str(config)], workdir / "sshd.log"
        ).start()
        server.process.wait_ready(lambda: _presents_host_key(port, host_public_key))
        return server

    return start_on_free_ports(start_on)
