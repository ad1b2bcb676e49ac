"""Which certificate an end server serves: a TLS handshake to host:port with the
certificate's name as SNI (docs/features.md V6). The handshake goes only to addresses
the outbound guard allows (certlife/outbound.py), as every connection to a place a user
names does."""

import socket
import ssl

from cryptography import x509

from certlife.outbound import RefusedDestination, checked_addresses
from certlife.retry import RetryPolicy, call_with_retries

HANDSHAKE_TIMEOUT_SECONDS = 5.0
# A reload is often asynchronous (nginx finishes old workers first): the new serial may
# take a moment to appear. About ten seconds of asking before calling it a mismatch.
CHECK_POLICY = RetryPolicy(retries=5, backoff_base=1.0, backoff_cap=4.0)


class ServedCertificateError(Exception):
    """No certificate could be read from the server; the message says why in plain words."""


class SerialMismatch(ServedCertificateError):
    """The server presents a certificate, but not the deployed one."""

    def __init__(self, seen: str, message: str):
        super().__init__(message)
        self.seen = seen


def served_serial(host: str, port: int, server_name: str) -> str:
    """The serial (lower-case hexadecimal, as the repository stores it) of the
    certificate `host:port` presents for `server_name`. Raises ServedCertificateError."""
    try:
        addresses = checked_addresses(host, port)
    except RefusedDestination as refused:
        raise ServedCertificateError(f"The TLS check was refused: {refused.message}") from None
    except OSError as error:
        raise ServedCertificateError(f"{host} does not resolve ({error}).") from None
    context = ssl.create_default_context()
    # Only the serial is compared: the chain is the CA's business, and a test or internal
    # CA need not be trusted by certlife for the check to mean something.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    last_problem = ""
    for address in addresses:
        try:
            with (
                socket.create_connection((address, port), timeout=HANDSHAKE_TIMEOUT_SECONDS) as raw,
                context.wrap_socket(raw, server_hostname=server_name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError) as error:
            last_problem = f"a TLS handshake with {host} port {port} failed ({error})"
            continue
        if der:
            return format(x509.load_der_x509_certificate(der).serial_number, "x")
        last_problem = f"{host} port {port} presented no certificate"
    raise ServedCertificateError(last_problem[:1].upper() + last_problem[1:] + ".")


def wait_for_serial(host: str, port: int, server_name: str, expected: str) -> str:
    """Ask, with the one retry policy, until `host:port` serves `expected`; return it.
    Raises ServedCertificateError (SerialMismatch when another serial is served)."""

    def ask() -> str:
        seen = served_serial(host, port, server_name)
        if seen != expected:
            raise SerialMismatch(
                seen,
                f"{host} port {port} serves serial {seen} for {server_name}, not the "
                f"deployed serial {expected}: the server may not have reloaded, or another "
                "server answers there.",
            )
        return seen

    return call_with_retries(ask, policy=CHECK_POLICY, retry_on=(ServedCertificateError,))
