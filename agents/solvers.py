"""What agent mappings do for a challenge (docs/features.md V3, V7); acme_orders' solvers
call these (acme_orders.solvers: SshHttpSolver, DnsMappingSolver).

HTTP-01 through SSH: the token file goes into the web root of every ready Linux
mapping of the name (a load-balanced site answers from any of its servers), and is
removed from each afterwards.
"""

import posixpath
import re

from agents import ssh
from agents.choices import MappingKind
from agents.mappings import HTTP_01, mappings_for
from agents.models import AgentMapping

CHALLENGE_DIRECTORY = ".well-known/acme-challenge"
# RFC 8555 8.3: a token is base64url; anything else must never become a path.
TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def http01_token_path(mapping: AgentMapping, token: str) -> str:
    """<web_root>/.well-known/acme-challenge/<token> on the mapping's server."""
    if not TOKEN.fullmatch(token):
        raise ValueError(f"not an ACME token: {token[:40]!r}")
    return posixpath.join(mapping.web_root, CHALLENGE_DIRECTORY, token)


def ssh_mappings_for(domain: str) -> list[AgentMapping]:
    """The ready Linux mappings that serve `domain`'s HTTP-01 tokens."""
    return mappings_for(domain, HTTP_01, kinds=(MappingKind.LINUX,))


def publish_http01_token(domain: str, token: str, content: str) -> None:
    """Write the token file with `content` on every Linux mapping of `domain`
    (file mode 0644, readable by the web server). Raises agents.errors.SshError."""
    for mapping in ssh_mappings_for(domain):
        path = http01_token_path(mapping, token)
        with ssh.connect(mapping) as connection:
            ssh.make_directories(connection, posixpath.dirname(path))
            ssh.write_file(connection, path, content.encode(), mode="0644")


def remove_http01_token(domain: str, token: str) -> None:
    """Remove the token file from every Linux mapping of `domain`; quiet where gone."""
    for mapping in ssh_mappings_for(domain):
        with ssh.connect(mapping) as connection:
            ssh.remove_file(connection, http01_token_path(mapping, token))
