"""The one way certlife talks SSH to an end server (docs/features.md V3, V6).

    with connect(mapping) as connection:        host key checked, then authenticated
        result = run(connection, "nginx -t")  CommandResult(exit_status, output, timed_out)
        write_file(connection, path, data, mode="0600", owner="www-data")  atomic
        remove_file(connection, path)         quiet if already gone

The server's host key is checked before any credential is sent. A mapping with no
pinned key (`host_key_fingerprint`) records the key the server showed in
`seen_host_key_fingerprint` and is refused until a person trusts it; a key other than
the pinned one is refused with both fingerprints named, and nothing is sent or written.
The host is user-given, so its addresses go through certlife.outbound's rules.

For deployments that must roll back, the steps of write_file are public too:
upload_temporary, rename_file, read_file.
"""

import base64
import errno
import hashlib
import io
import logging
import posixpath
import secrets
import shlex
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import paramiko  # type: ignore[import-untyped]  # no types-paramiko in the environment
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from agents.errors import HostKeyChanged, HostKeyNotTrusted, SshError
from agents.models import AgentMapping
from certlife import outbound, unexpected_errors

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 15
COMMAND_TIMEOUT_SECONDS = 120
MAX_OUTPUT_BYTES = 64 * 1024
READ_CHUNK_BYTES = 32 * 1024
MAX_READ_FILE_BYTES = 1024 * 1024
KEY_CLASSES = (
    (ed25519.Ed25519PrivateKey, paramiko.Ed25519Key),
    (ec.EllipticCurvePrivateKey, paramiko.ECDSAKey),
    (rsa.RSAPrivateKey, paramiko.RSAKey),
)
OUTPUT_CUT_NOTICE = "\n[output cut: longer than 64 KiB]"


@dataclass
class SshConnection:
    """An authenticated SSH session to one mapping's server."""

    mapping: AgentMapping
    transport: paramiko.Transport
    _sftp: paramiko.SFTPClient | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.mapping.host}:{self.mapping.port}"

    @property
    def sftp(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            try:
                self._sftp = paramiko.SFTPClient.from_transport(self.transport)
            except (paramiko.SSHException, OSError) as error:
                raise SshError(
                    f"{self.where}: the server offers no SFTP ({error}); enable the sftp "
                    "subsystem in sshd_config.",
                    permanent=True,
                ) from None
            if self._sftp is None:
                raise SshError(f"{self.where}: the SFTP session did not open.", permanent=False)
            self._sftp.get_channel().settimeout(COMMAND_TIMEOUT_SECONDS)
        return self._sftp


@dataclass(frozen=True)
class CommandResult:
    exit_status: int | None  # None when the command timed out
    output: str  # stdout and stderr together, bounded, secrets cut out
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.exit_status == 0 and not self.timed_out


def key_fingerprint(key: paramiko.PKey) -> str:
    """ "SHA256:<base64, no padding>" of the public key, as `ssh-keygen -l` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _open_socket(host: str, port: int) -> socket.socket:
    """A TCP connection to the first reachable address of `host` that certlife may use."""
    where = f"{host}:{port}"
    try:
        addresses = outbound.checked_addresses(host, port)
    except outbound.RefusedDestination as refusal:
        raise SshError(f"{where}: {refusal.message}", permanent=True) from None
    except socket.gaierror:
        raise SshError(f"{where}: the host name does not resolve.", permanent=False) from None
    last_error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as error:
            last_error = error
    raise SshError(
        f"{where}: cannot connect ({type(last_error).__name__}: {last_error}).", permanent=False
    )


def _start_transport(host: str, port: int) -> paramiko.Transport:
    transport = paramiko.Transport(_open_socket(host, port))
    transport.banner_timeout = CONNECT_TIMEOUT_SECONDS
    transport.auth_timeout = CONNECT_TIMEOUT_SECONDS
    try:
        transport.start_client(timeout=CONNECT_TIMEOUT_SECONDS)
    except (paramiko.SSHException, OSError, EOFError) as error:
        transport.close()
        raise SshError(
            f"{host}:{port}: the SSH handshake failed ({type(error).__name__}: {error}).",
            permanent=False,
        ) from None
    return transport


def fetch_host_key_fingerprint(host: str, port: int) -> str:
    """The fingerprint of the host key `host` shows, after the key exchange only (no
    credentials sent): what a person compares before trusting the key."""
    transport = _start_transport(host, port)
    try:
        return key_fingerprint(transport.get_remote_server_key())
    finally:
        transport.close()


def record_seen_host_key(mapping: AgentMapping, fingerprint: str) -> None:
    """Remember the key the server showed, for the trust step (no audit: no one acted)."""
    mapping.seen_host_key_fingerprint = fingerprint
    if mapping.pk is not None:
        AgentMapping.objects.filter(pk=mapping.pk).update(seen_host_key_fingerprint=fingerprint)


def _check_host_key(mapping: AgentMapping, transport: paramiko.Transport) -> None:
    shown = key_fingerprint(transport.get_remote_server_key())
    where = f"{mapping.host}:{mapping.port}"
    pinned = mapping.host_key_fingerprint
    if shown != mapping.seen_host_key_fingerprint:
        record_seen_host_key(mapping, shown)
    if not pinned:
        raise HostKeyNotTrusted(
            f"{where}: the host key {shown} is not trusted yet. Compare it with the "
            "server's (ssh-keygen -lf on its host key) and trust it on the mapping under "
            "Manage >> Deploy.",
            fingerprint=shown,
        )
    if shown != pinned:
        raise HostKeyChanged(
            f"{where}: the host key changed: the server shows {shown}, but {pinned} is "
            "pinned. certlife did not log in. If the server was reinstalled or its key "
            "replaced on purpose, trust the new key on the mapping; otherwise someone may "
            "be impersonating the server.",
            fingerprint=shown,
        )


def load_private_key(pem: str) -> paramiko.PKey:
    """An unencrypted Ed25519, ECDSA or RSA private key, in OpenSSH, PKCS#8 or
    traditional PEM form; SshError (permanent) when it is none of these."""
    data = pem.strip().encode() + b"\n"
    key: object
    try:
        try:
            key = serialization.load_ssh_private_key(data, password=None)
        except ValueError:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    key_class = next(
        (paramiko_class for kind, paramiko_class in KEY_CLASSES if isinstance(key, kind)), None
    )
    if key is None or key_class is None:
        raise SshError(
            "The private key cannot be read: give an unencrypted Ed25519, ECDSA or RSA key "
            "(OpenSSH or PEM form).",
            permanent=True,
        )
    openssh = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    return key_class.from_private_key(io.StringIO(openssh))


def _authenticate(mapping: AgentMapping, transport: paramiko.Transport) -> None:
    where = f"{mapping.host}:{mapping.port}"
    try:
        if mapping.private_key:
            transport.auth_publickey(mapping.username, load_private_key(mapping.private_key))
        else:
            transport.auth_password(mapping.username, mapping.password)
    except paramiko.AuthenticationException:
        method = "key" if mapping.private_key else "password"
        raise SshError(
            f"{where}: the server refused user {mapping.username!r} with the {method}; "
            "check the user and its credentials on the mapping.",
            permanent=True,
        ) from None
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise SshError(
            f"{where}: logging in failed ({type(error).__name__}).", permanent=False
        ) from None


@contextmanager
def connect(mapping: AgentMapping) -> Iterator[SshConnection]:
    """An authenticated connection to the mapping's server, closed on leaving.
    Raises SshError (HostKeyNotTrusted, HostKeyChanged for the host key)."""
    transport = _start_transport(mapping.host, mapping.port)
    connection = SshConnection(mapping, transport)
    try:
        _check_host_key(mapping, transport)
        _authenticate(mapping, transport)
        yield connection
    finally:
        if connection._sftp is not None:
            connection._sftp.close()
        transport.close()


def _redacted(mapping: AgentMapping, text: str) -> str:
    return unexpected_errors.redact(text, mapping.secret_values())


def run(
    connection: SshConnection, command: str, *, timeout: float = COMMAND_TIMEOUT_SECONDS
) -> CommandResult:
    """Run `command` through the server's shell; its output (stdout and stderr
    together) is kept up to MAX_OUTPUT_BYTES. A command still running after `timeout`
    seconds is abandoned (its channel closed) and reported as timed out."""
    try:
        channel = connection.transport.open_session(timeout=CONNECT_TIMEOUT_SECONDS)
        channel.set_combine_stderr(True)
        channel.settimeout(1.0)
        channel.exec_command(command)
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise SshError(
            f"{connection.where}: cannot start a command ({type(error).__name__}).",
            permanent=False,
        ) from None
    output, cut = bytearray(), False
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                text = _redacted(connection.mapping, output.decode(errors="replace"))
                return CommandResult(None, text + f"\n[timed out after {timeout:.0f} s]", True)
            try:
                chunk = channel.recv(READ_CHUNK_BYTES)
            except TimeoutError:
                continue
            if not chunk:
                break
            room = MAX_OUTPUT_BYTES - len(output)
            if len(chunk) > room:
                cut = True
            output += chunk[: max(room, 0)]
        exit_status = channel.recv_exit_status()
    finally:
        channel.close()
    text = output.decode(errors="replace") + (OUTPUT_CUT_NOTICE if cut else "")
    return CommandResult(exit_status, _redacted(connection.mapping, text))


def _is_missing(error: OSError) -> bool:
    return error.errno == errno.ENOENT or isinstance(error, FileNotFoundError)


def make_directories(connection: SshConnection, path: str) -> None:
    """Create directory `path` and its missing parents (like mkdir -p)."""
    sftp, missing = connection.sftp, []
    current = posixpath.normpath(path)
    while current not in ("/", "", "."):
        try:
            if not stat.S_ISDIR(sftp.stat(current).st_mode or 0):
                raise SshError(
                    f"{connection.where}: {current} exists and is not a directory.",
                    permanent=True,
                )
            break
        except FileNotFoundError:
            missing.append(current)
            current = posixpath.dirname(current)
    for directory in reversed(missing):
        try:
            sftp.mkdir(directory, mode=0o755)
        except OSError as error:
            raise SshError(
                f"{connection.where}: cannot create {directory} ({error}).", permanent=True
            ) from None


def _mode(mode: str | int) -> int:
    return mode if isinstance(mode, int) else int(mode, 8)


def upload_temporary(
    connection: SshConnection, path: str, data: bytes, *, mode: str | int, owner: str = ""
) -> str:
    """Write `data` beside `path` under a temporary name, with `mode` (set before the
    data is written, so a key is never readable by others) and `owner` ("user" or
    "user:group", set with chown); returns the temporary path."""
    directory, name = posixpath.split(path)
    temporary = posixpath.join(directory, f".{name}.certlife-{secrets.token_hex(6)}")
    try:
        with connection.sftp.open(temporary, "wb") as remote:
            remote.chmod(_mode(mode))
            remote.write(data)
    except OSError as error:
        with suppress(OSError):
            connection.sftp.remove(temporary)
        raise SshError(
            f"{connection.where}: cannot write {path} ({error}).", permanent=True
        ) from None
    if owner:
        result = run(connection, f"chown {shlex.quote(owner)} {shlex.quote(temporary)}")
        if not result.succeeded:
            remove_file(connection, temporary)
            raise SshError(
                f"{connection.where}: cannot give {path} to {owner}: {result.output.strip()}",
                permanent=True,
            )
    return temporary


def rename_file(connection: SshConnection, source: str, target: str) -> None:
    """Move `source` over `target` in one step (POSIX rename: no moment without a file)."""
    try:
        connection.sftp.posix_rename(source, target)
    except OSError as error:
        raise SshError(
            f"{connection.where}: cannot move the new file to {target} ({error}).",
            permanent=True,
        ) from None


def write_file(
    connection: SshConnection, path: str, data: bytes, *, mode: str | int, owner: str = ""
) -> None:
    """Replace `path` with `data` atomically: a temporary file with the mode and owner,
    renamed over `path`. The temporary file is removed if the rename fails."""
    temporary = upload_temporary(connection, path, data, mode=mode, owner=owner)
    try:
        rename_file(connection, temporary, path)
    except SshError:
        remove_file(connection, temporary)
        raise


def read_file(connection: SshConnection, path: str) -> bytes | None:
    """The content of `path` (up to 1 MiB), or None when there is no such file."""
    try:
        with connection.sftp.open(path, "rb") as remote:
            return remote.read(MAX_READ_FILE_BYTES)
    except OSError as error:
        if _is_missing(error):
            return None
        raise SshError(
            f"{connection.where}: cannot read {path} ({error}).", permanent=True
        ) from None


def remove_file(connection: SshConnection, path: str) -> None:
    """Remove `path`; quiet when it is already gone."""
    try:
        connection.sftp.remove(path)
    except OSError as error:
        if _is_missing(error):
            return
        raise SshError(
            f"{connection.where}: cannot remove {path} ({error}).", permanent=False
        ) from None
