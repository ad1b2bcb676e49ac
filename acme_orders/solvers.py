"""Solvers publish a challenge's answer; all share one contract (docs/features.md V7).

    present(challenge)  publish what the CA will look for (may talk to the network)
    check(challenge)    our own pre-flight (V9): None when ready, else why not, in words
    retry_seconds(challenge)  how soon to check again when not ready
    cleanup(challenge)  remove what present() published; always runs, quiet if gone

`choose_solver(request, challenge)` picks a solver's code when the order is placed and
stores it on the challenge; `solver_for(challenge)` returns that solver from SOLVERS.
"""

import contextlib

import requests
from django.conf import settings

from acme_orders.choices import ChallengeType, Solver
from agents import agent_jobs
from agents import mappings as agent_mappings
from agents import solvers as agent_solvers
from agents.choices import MappingKind
from certlife import outbound
from dns_providers import dns01, propagation, resolver
from dns_providers.propagation import PropagationState

HTTP_CHECK_TIMEOUT = 10
PRE_FLIGHT_RETRY_SECONDS = 5


def http01_problem(challenge) -> str | None:
    """Fetch the token as the CA will (plain HTTP on the name) and compare the content.
    Only where certlife.outbound allows: a name that resolves to a private address (or
    redirects to one) is not fetched, and the answer says which name and why."""
    domain, port = challenge.domain, settings.CERTLIFE_HTTP01_PORT
    addresses = resolver.addresses_of(domain)
    if not addresses:
        return f"{domain}: the name does not resolve to an address."
    for address in addresses:
        if refusal := outbound.address_problem(address, name=domain):
            return refusal
    host = domain if port == 80 else f"{domain}:{port}"
    address = addresses[0] if ":" not in addresses[0] else f"[{addresses[0]}]"
    url = f"http://{host}{challenge.http_path}"
    session = outbound.guarded_session()
    session.trust_env = False  # the check goes to the site directly, like the CA
    try:
        response = session.get(
            f"http://{address}:{port}{challenge.http_path}",
            headers={"Host": host},
            timeout=HTTP_CHECK_TIMEOUT,
        )
    except outbound.RefusedDestination as refusal:
        return f"{domain}: {url} redirects where certlife does not connect: {refusal.message}"
    except requests.RequestException as error:
        return f"{domain}: {url} could not be fetched ({type(error).__name__})."
    if response.status_code != 200:
        return f"{domain}: {url} answered HTTP {response.status_code}, not the token."
    if response.text.strip() != challenge.key_authorization:
        return f"{domain}: {url} is served but its content is not the expected value."
    return None


class ManualSolver:
    """A person publishes the token or TXT record and clicks Verify (docs/features.md V2)."""

    code = Solver.MANUAL
    automated = False

    def present(self, challenge) -> None:
        pass

    def check(self, challenge) -> str | None:
        if challenge.type == ChallengeType.HTTP_01:
            return http01_problem(challenge)
        check = propagation.check_txt_propagation(
            challenge.txt_name, challenge.txt_value, waited_seconds=0
        )
        if check.state == PropagationState.VISIBLE:
            return None
        return f"{challenge.domain}: {check.message}"

    def retry_seconds(self, challenge) -> int:
        """How soon to check again after check() found the answer not yet served."""
        return PRE_FLIGHT_RETRY_SECONDS

    def cleanup(self, challenge) -> None:
        pass


class BuiltinHttpSolver(ManualSolver):
    """certlife answers /.well-known/acme-challenge/<token> itself (the view reads the
    challenge row), for sites whose port 80 is proxied to certlife."""

    code = Solver.BUILTIN_HTTP
    automated = True


class AlreadyValid(ManualSolver):
    """The CA reused a valid authorization: nothing to publish (PEBBLE_AUTHZREUSE)."""

    code = Solver.NONE
    automated = True

    def check(self, challenge) -> str | None:
        return None


class DnsAccountSolver:
    """Writes the TXT record with a DNS account (docs/features.md R4, D8) through the DNS-01 facade
    (dns_providers.dns01): at the end of the `_acme-challenge` CNAME chain with the
    account that sees that zone (V10), then waits, bounded, until every authoritative
    nameserver serves it (V9)."""

    code = Solver.DNS
    automated = True

    def present(self, challenge) -> None:
        def remember(record: dns01.PublishedRecord) -> None:
            # Stored before the write, so a crash after it still knows what to clean up.
            challenge.published_record_name = record.record_name
            challenge.published_with = record.account
            challenge.presented_at = record.published_at
            challenge.save(
                update_fields=["published_record_name", "published_with", "presented_at"]
            )

        dns01.publish(
            challenge.domain,
            challenge.txt_value,
            account=challenge.request.dns_account,
            before_write=remember,
        )

    def check(self, challenge) -> str | None:
        record = _published_record(challenge)
        if record is None:
            raise PropagationGaveUp(
                f"{challenge.domain}: the DNS account that wrote the TXT record was deleted; "
                "start a New challenge."
            )
        return _propagation_problem(challenge, record)

    def retry_seconds(self, challenge) -> int:
        """When the propagation check's next poll is due, on the provider's timing."""
        record = _published_record(challenge)
        return PRE_FLIGHT_RETRY_SECONDS if record is None else dns01.next_check_in(record)

    def cleanup(self, challenge) -> None:
        if (record := _published_record(challenge)) is not None:
            dns01.remove(record, challenge.txt_value)


def _published_record(challenge) -> dns01.PublishedRecord | None:
    """The handle of what present() wrote; None when its DNS account was deleted."""
    if challenge.published_with is None:
        return None
    return dns01.PublishedRecord(
        challenge.published_record_name, challenge.published_with, challenge.presented_at
    )


class PullAgentSolver:
    """A pull agent publishes the token in its web root (docs/features.md V4): present
    queues a publish job for the agent of the challenge's mapping, check waits for the
    agent to report it done and then fetches the token as the CA will, cleanup queues
    the removal. The agent polls, so nothing here connects to the end server."""

    code = Solver.AGENT
    automated = True

    def present(self, challenge) -> None:
        if challenge.agent_mapping is None:
            return  # check() says the mapping is gone
        # Without a usable agent nothing is queued; check() then names the reason.
        with contextlib.suppress(agent_jobs.NoAgent):
            agent_jobs.queue_publish(
                challenge.agent_mapping,
                domain=challenge.domain,
                token=challenge.token,
                content=challenge.key_authorization,
            )

    def check(self, challenge) -> str | None:
        try:
            waiting = agent_jobs.publish_problem(challenge.agent_mapping, challenge.token)
        except agent_jobs.CannotPublish as reason:
            raise PropagationGaveUp(f"{challenge.domain}: {reason}") from None
        if waiting is not None:
            return f"{challenge.domain}: {waiting}"
        return http01_problem(challenge)

    def retry_seconds(self, challenge) -> int:
        return PRE_FLIGHT_RETRY_SECONDS

    def cleanup(self, challenge) -> None:
        if challenge.agent_mapping is not None:
            agent_jobs.queue_remove(
                challenge.agent_mapping, domain=challenge.domain, token=challenge.token
            )


class SshHttpSolver(ManualSolver):
    """An agent mapping to a Linux server (docs/features.md V3): the token file is written
    into the mapping's web root over SSH (agents.solvers), checked by fetching it as the
    CA will, and removed afterwards."""

    code = Solver.SSH
    automated = True

    def present(self, challenge) -> None:
        agent_solvers.publish_http01_token(
            challenge.domain, challenge.token, challenge.key_authorization
        )

    def cleanup(self, challenge) -> None:
        agent_solvers.remove_http01_token(challenge.domain, challenge.token)


class DnsMappingSolver(DnsAccountSolver):
    """An agent mapping to a DNS provider with its own credentials (docs/features.md V5):
    the TXT record is written with the mapping's provider, in place of a DNS account."""

    code = Solver.DNS_MAPPING
    automated = True

    def present(self, challenge) -> None:
        mapping = challenge.agent_mapping
        if mapping is None:
            raise PropagationGaveUp(
                f"{challenge.domain}: its DNS agent mapping was deleted; start a New challenge."
            )

        def remember(record: dns01.PublishedRecord) -> None:
            challenge.published_record_name = record.record_name
            challenge.presented_at = record.published_at
            challenge.save(update_fields=["published_record_name", "presented_at"])

        dns01.publish_with(
            challenge.domain,
            challenge.txt_value,
            account=mapping.dns_account(),
            before_write=remember,
        )

    def _record(self, challenge) -> dns01.PublishedRecord | None:
        if challenge.agent_mapping is None or not challenge.published_record_name:
            return None
        return dns01.PublishedRecord(
            challenge.published_record_name,
            challenge.agent_mapping.dns_account(),
            challenge.presented_at,
        )

    def check(self, challenge) -> str | None:
        if (record := self._record(challenge)) is None:
            raise PropagationGaveUp(
                f"{challenge.domain}: the DNS agent mapping that wrote the TXT record was "
                "deleted; start a New challenge."
            )
        return _propagation_problem(challenge, record)

    def retry_seconds(self, challenge) -> int:
        record = self._record(challenge)
        return PRE_FLIGHT_RETRY_SECONDS if record is None else dns01.next_check_in(record)

    def cleanup(self, challenge) -> None:
        if (record := self._record(challenge)) is not None:
            dns01.remove(record, challenge.txt_value)


def _propagation_problem(challenge, record: dns01.PublishedRecord) -> str | None:
    """None once every authoritative nameserver serves the TXT record, else why not;
    the bounded wait being over raises PropagationGaveUp."""
    result = dns01.check(record, challenge.txt_value)
    if result.state == PropagationState.VISIBLE:
        return None
    if result.state == PropagationState.GAVE_UP:
        raise PropagationGaveUp(result.message)
    return f"{challenge.domain}: {result.message}"


class PropagationGaveUp(Exception):
    """The bounded wait for a TXT record is over; the message names name and servers."""


SOLVERS = {
    solver.code: solver
    for solver in (
        ManualSolver(),
        BuiltinHttpSolver(),
        AlreadyValid(),
        DnsAccountSolver(),
        SshHttpSolver(),
        DnsMappingSolver(),
        PullAgentSolver(),
    )
}
# The solver of each kind of agent mapping.
MAPPING_SOLVERS = {
    MappingKind.LINUX: Solver.SSH,
    MappingKind.WINDOWS: Solver.AGENT,
    MappingKind.DNS: Solver.DNS_MAPPING,
}


def choose_solver(request, challenge) -> str:
    """Spec V7, in this order: an agent mapping for the name (set on
    `challenge.agent_mapping`), else the request's DNS account for DNS-01, else the
    built-in responder for HTTP-01 where the request uses it, else manual."""
    kinds = tuple(kind for kind, code in MAPPING_SOLVERS.items() if code in SOLVERS)
    mapping = agent_mappings.mapping_for(challenge.domain, challenge.type, kinds=kinds)
    challenge.agent_mapping = mapping
    if mapping is not None:
        return MAPPING_SOLVERS[MappingKind(mapping.kind)]
    dns_account = request.dns_account
    if challenge.type == ChallengeType.DNS_01 and dns_account is not None and dns_account.enabled:
        return Solver.DNS
    if challenge.type == ChallengeType.HTTP_01 and request.use_builtin_http_responder:
        return Solver.BUILTIN_HTTP
    return Solver.MANUAL


def solver_for(challenge):
    """The solver chosen for `challenge` when its order was placed."""
    return SOLVERS[challenge.solver]
