"""The errors of reaching an end server (docs/conventions.md point 5).

Temporary ones (a connection refused or timed out) may succeed later; permanent ones
need a person: a host key to confirm, a changed host key, credentials rejected, a
destination certlife does not connect to. Messages name the server and what to fix,
never a secret.
"""

from certlife.errors import OutsideSystemError


class AgentError(OutsideSystemError):
    """An end server (over SSH, or a pull agent) could not do what was asked."""


class SshError(AgentError):
    """Connecting, authenticating, running a command or moving a file over SSH failed."""


class HostKeyNotTrusted(SshError):
    """The server's host key is not pinned yet; it waits to be confirmed."""

    def __init__(self, message: str, *, fingerprint: str):
        super().__init__(message, permanent=True)
        self.fingerprint = fingerprint


class HostKeyChanged(SshError):
    """The server shows another host key than the pinned one; nothing was sent."""

    def __init__(self, message: str, *, fingerprint: str):
        super().__init__(message, permanent=True)
        self.fingerprint = fingerprint
