"""The guard on outbound requests to places a user names: an ACME directory and every
URL its CA hands out, the HTTP-01 pre-flight fetch, and later webhooks and agents.
certlife must not become a way into the networks it runs in (SSRF).

- `check_url(url)` refuses, before any network use, what the URL itself shows: a
  scheme other than http(s), a user name or password, a literal address that is not
  public (also in the short forms `127.1` or `2130706433`), a cloud metadata host name.
- `guarded_session()` is a requests session that runs `check_url` on every request
  and on every redirect hop, and that, when it connects directly, resolves the host
  name once, checks every address it resolves to and connects only to a checked one.
  The check is on the address actually connected to, so a DNS answer that changes
  between a check and the connection (DNS rebinding) cannot slip through.
- `address_problem(address)` says why one address is refused, for callers that
  resolve names themselves (the HTTP-01 pre-flight uses certlife's resolver).

Not public, and so refused: loopback, private (RFC 1918), link-local, unique-local,
shared (CGNAT), multicast, unspecified and reserved addresses, also inside IPv4-mapped,
NAT64 and 6to4 IPv6 addresses, unless `settings.CERTLIFE_ALLOWED_PRIVATE_NETWORKS`
contains them (a local step-ca, a test CA). Cloud metadata addresses are refused even
then.

Through an outbound proxy (HTTPS_PROXY) the proxy resolves the name and connects, so
only `check_url` applies there; keeping the proxy out of private networks is the
proxy's job.
"""

import ipaddress
import re
import socket
import sys
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_NETWORKS_SETTING = "CERTLIFE_ALLOWED_PRIVATE_NETWORKS"
SCHEMES = ("http", "https")
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
METADATA_HOST_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
RFC1918_NETWORKS = tuple(
    ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
UNIQUE_LOCAL_NETWORK = ipaddress.ip_network("fc00::/7")
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# What inet_aton reads as an IPv4 address besides dotted quads: 127.1, 0x7f.1, 2130706433.
IPV4_SHORTHAND = re.compile(r"[0-9a-fx.]+")
# An optional scheme, then everything up to the last @ before the path: the userinfo.
URL_CREDENTIALS = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?[^/?#]*@")


class RefusedDestination(Exception):
    """certlife does not connect there. The message says why; it never repeats a
    URL, so credentials in one are never echoed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(network, strict=False)
        for network in getattr(settings, ALLOWED_NETWORKS_SETTING, ())
    ]


def _judged_forms(address: IPAddress) -> list[IPAddress]:
    """The addresses a connection to `address` really reaches: the IPv4 address inside
    an IPv4-mapped or NAT64 address, both forms of a 6to4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return [address.ipv4_mapped]
        if address in NAT64_PREFIX:
            return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
        if address.sixtofour:
            return [address.sixtofour, address]
    return [address]


def _kind(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if any(address in network for network in RFC1918_NETWORKS):
        return "a private address"
    if address in UNIQUE_LOCAL_NETWORK:
        return "a unique-local address"
    if address.is_reserved or not address.is_global:
        return "a reserved (special-purpose) address"
    return None


def address_problem(address: str | IPAddress, *, name: str | None = None) -> str | None:
    """Why certlife does not connect to `address`, or None when it may. With `name`,
    the message says that this name resolves to the address."""
    parsed = ipaddress.ip_address(str(address))
    forms = _judged_forms(parsed)
    shown = str(parsed)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        shown = f"::ffff:{parsed.ipv4_mapped}"  # as people write it, not ::ffff:7f00:1
    if forms[0] != parsed:
        shown += f" (IPv4 {forms[0]})"
    lead = f"{name} resolves to {shown}," if name else f"{shown} is"
    if any(form in METADATA_ADDRESSES for form in [parsed, *forms]):
        return f"{lead} a cloud metadata address; certlife never connects to it."
    kind = next((kind for kind in map(_kind, forms) if kind), None)
    if kind is None:
        return None
    allowed = _allowed_networks()
    if any(form in network for form in [parsed, *forms] for network in allowed):
        return None
    return (
        f"{lead} {kind}; certlife does not connect to private networks unless "
        f"{ALLOWED_NETWORKS_SETTING} allows it."
    )


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells out, in any form a resolver or proxy would read as
    one, or None for a host name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if IPV4_SHORTHAND.fullmatch(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url: str) -> None:
    """Raise RefusedDestination for what `url` itself shows to be refused (no DNS)."""
    try:
        parts = urlsplit(url)
        host, has_credentials = parts.hostname, "@" in parts.netloc
        parts.port  # noqa: B018  (a bad port raises ValueError here)
    except ValueError:
        raise RefusedDestination("This is not a valid http(s) URL.") from None
    if parts.scheme not in SCHEMES:
        raise RefusedDestination("Only http and https URLs are used.")
    if has_credentials:
        raise RefusedDestination(
            "The URL must not contain a user name or password: remove them (the part before @)."
        )
    host = unquote(host or "").rstrip(".")
    if not host:
        raise RefusedDestination("The URL has no host name.")
    if host in METADATA_HOST_NAMES:
        raise RefusedDestination(
            f"{host} is a cloud metadata host name; certlife never connects to it."
        )
    address = literal_address(host)
    problem = address_problem(address) if address is not None else None
    if problem:
        raise RefusedDestination(problem)


def redact_credentials(url: str) -> str:
    """`url` as a log or the audit log may keep it: a user name and password before
    the host (even in a malformed URL) replaced by a marker."""
    return URL_CREDENTIALS.sub(r"\1[credentials removed]@", url)


def checked_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, once; RefusedDestination if any is refused."""
    infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    name = None if literal_address(host) else host
    for address in addresses:
        problem = address_problem(address, name=name)
        if problem:
            raise RefusedDestination(problem)
    return addresses


def _connect_checked(connection: HTTPConnection) -> socket.socket:
    """urllib3's HTTPConnection._new_conn, connecting only to checked addresses."""
    try:
        addresses = checked_addresses(connection._dns_host, connection.port)
    except socket.gaierror as error:
        raise NameResolutionError(connection.host, connection, error) from error
    last_error: Exception | None = None
    for address in addresses:
        try:
            sock = create_connection(
                (address, connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as error:
            last_error = ConnectTimeoutError(
                connection,
                f"Connection to {connection.host} timed out. "
                f"(connect timeout={connection.timeout})",
            )
            last_error.__cause__ = error
        except OSError as error:
            last_error = NewConnectionError(
                connection, f"Failed to establish a new connection: {error}"
            )
            last_error.__cause__ = error
        else:
            sys.audit("http.client.connect", connection, connection.host, connection.port)
            return sock
    assert last_error is not None  # getaddrinfo answers at least one address or raises
    raise last_error


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_checked(self)


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """Checks every URL it sends (each redirect hop comes through `send` again) and
    connects directly only to checked addresses. Proxied requests go through
    requests' own ProxyManager, which connects to the proxy unchecked."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": GuardedHTTPConnectionPool,
            "https": GuardedHTTPSConnectionPool,
        }

    def send(self, request: requests.PreparedRequest, *args, **kwargs) -> requests.Response:
        check_url(request.url or "")
        return super().send(request, *args, **kwargs)


def guarded_session() -> requests.Session:
    """A requests session for URLs a user gave: see the module docstring."""
    session = requests.Session()
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
