"""Every write to agent mappings (docs/conventions.md point 1): validated, atomic,
audited with keyword-only `actor`. Audit details name fields, never secret values.

A change is announced with agents.signals.mappings_changed inside the transaction, so
pending requests choose their solvers again (spec V7, V8). A Linux mapping whose host
key is not pinned has it fetched by a task (agents.tasks.fetch_host_key) for a person
to confirm with trust_host_key.
"""

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from agents.choices import MappingKind
from agents.domains import InvalidMappingDomain, normalize_mapping_domain
from agents.errors import SshError
from agents.models import Agent, AgentMapping
from agents.signals import mappings_changed
from agents.ssh import load_private_key
from certlife.audit import record_audit_event
from dns_providers.actions import cleaned_credentials
from dns_providers.providers.fields import FORBIDDEN_CHARACTERS, host_name_or_ip_address

LINUX_FIELDS = (
    "host", "port", "username", "password", "private_key", "host_key_fingerprint",
    "web_root", "certificate_path", "chain_path", "fullchain_path", "key_path", "owner",
    "file_mode", "key_mode", "test_command", "reload_command", "tls_host", "tls_port",
)  # fmt: skip
WINDOWS_FIELDS = ("agent", "web_root", "install_to_iis", "site")
DNS_FIELDS = ("dns_provider", "dns_credentials")
COMMON_FIELDS = ("domain", "deploy", "enabled")
FIELDS_OF_KIND = {
    MappingKind.LINUX: LINUX_FIELDS,
    MappingKind.WINDOWS: WINDOWS_FIELDS,
    MappingKind.DNS: DNS_FIELDS,
}
SECRET_FIELDS = ("password", "private_key", "dns_credentials")
LINUX_PATH_FIELDS = ("web_root", "certificate_path", "chain_path", "fullchain_path", "key_path")
# Moving to another server makes a pinned key meaningless: it is pinned again.
SERVER_FIELDS = ("host", "port")

FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
FILE_MODE = re.compile(r"0?[0-7]{3}")
OWNER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}(:[A-Za-z_][A-Za-z0-9_.-]{0,31})?")
MAX_PATH_LENGTH = 500
MAX_COMMAND_LENGTH = 1000


def _text_problem(value: Any, max_length: int) -> str | None:
    if not isinstance(value, str):
        return f"Must be a string, not {type(value).__name__}."
    if len(value) > max_length:
        return f"At most {max_length} characters."
    if FORBIDDEN_CHARACTERS.search(value):
        return "Must not contain control characters or line breaks."
    return None


def _port_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return "A port number from 1 to 65535."
    return None


def _host_problem(value: str) -> str | None:
    return _text_problem(value, 255) or host_name_or_ip_address(value)


def _linux_errors(mapping: AgentMapping) -> dict[str, list[str]]:
    errors: dict[str, str | None] = {
        "host": _host_problem(mapping.host) if mapping.host else "This field is required.",
        "port": _port_problem(mapping.port),
        "username": _text_problem(mapping.username, 100)
        or (None if mapping.username else "This field is required."),
        "tls_port": _port_problem(mapping.tls_port),
        "tls_host": _host_problem(mapping.tls_host) if mapping.tls_host else None,
        "owner": None
        if not mapping.owner or OWNER.fullmatch(mapping.owner)
        else "A user name, or user:group (letters, digits, _ . -).",
        "file_mode": None
        if FILE_MODE.fullmatch(mapping.file_mode)
        else "An octal file mode such as 0644.",
        "key_mode": None
        if FILE_MODE.fullmatch(mapping.key_mode)
        else "An octal file mode such as 0600.",
    }
    if not mapping.password and not mapping.private_key:
        errors["password"] = "Give a password or a private key."  # noqa: S105  (a message)
    if mapping.private_key:
        try:
            load_private_key(mapping.private_key)
        except SshError as error:
            errors["private_key"] = error.message
    if mapping.host_key_fingerprint and not FINGERPRINT.fullmatch(mapping.host_key_fingerprint):
        errors["host_key_fingerprint"] = (
            "A SHA256 fingerprint as OpenSSH prints it: SHA256: and 43 base64 characters."
        )
    for name in LINUX_PATH_FIELDS:
        value = getattr(mapping, name)
        if value:
            problem = _text_problem(value, MAX_PATH_LENGTH)
            if problem is None and not posixpath.isabs(value):
                problem = "An absolute path, starting with /."
            errors[name] = problem
    for name in ("test_command", "reload_command"):
        errors[name] = _text_problem(getattr(mapping, name), MAX_COMMAND_LENGTH)
    if not mapping.web_root and not mapping.deploy:
        errors["web_root"] = "Give a web root (for HTTP-01 tokens), or turn on Deploy."
    if mapping.deploy:
        if not mapping.key_path:
            errors["key_path"] = "Deploy needs the path of the key."
        if not mapping.certificate_path and not mapping.fullchain_path:
            errors["certificate_path"] = "Deploy needs a certificate or full-chain path."
    return {name: [problem] for name, problem in errors.items() if problem}


def _windows_errors(mapping: AgentMapping) -> dict[str, list[str]]:
    errors: dict[str, str | None] = {
        "web_root": _text_problem(mapping.web_root, MAX_PATH_LENGTH),
        "site": _text_problem(mapping.site, 200),
    }
    if mapping.agent is None:
        errors["agent"] = "Choose the pull agent of this server."
    elif mapping.agent.revoked:
        errors["agent"] = f"The agent {mapping.agent} is revoked."
    return {name: [problem] for name, problem in errors.items() if problem}


def _check(mapping: AgentMapping) -> None:
    errors: dict[str, list[str]] = {}
    if mapping.kind not in MappingKind.values:
        raise ValidationError({"kind": [f"One of: {', '.join(MappingKind.values)}."]})
    try:
        mapping.domain = normalize_mapping_domain(mapping.domain)
    except InvalidMappingDomain as error:
        errors["domain"] = [str(error)]
    if mapping.kind == MappingKind.LINUX:
        errors.update(_linux_errors(mapping))
    elif mapping.kind == MappingKind.WINDOWS:
        errors.update(_windows_errors(mapping))
    elif mapping.deploy:
        errors["deploy"] = ["A DNS mapping answers DNS-01 only; it does not deploy."]
    if errors:
        raise ValidationError(errors)


def _resolve_agent(value) -> Agent | None:
    if value is None or isinstance(value, Agent):
        return value
    try:
        return Agent.objects.get(pk=value)
    except (Agent.DoesNotExist, ValueError, TypeError):
        raise ValidationError({"agent": [f"No agent with id {value!r}."]}) from None


def _apply(mapping: AgentMapping, fields: Mapping[str, Any]) -> list[str]:
    """Lay `fields` over the mapping; returns the names that changed. Secrets sent
    empty keep their stored value (they are never shown, so forms cannot resend them);
    DNS credentials may be partial, like a DNS account's."""
    allowed = set(COMMON_FIELDS) | set(FIELDS_OF_KIND[MappingKind(mapping.kind)])
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            {
                name: [f"Not a field of a {mapping.get_kind_display()} mapping."]
                for name in sorted(unknown)
            }
        )
    changed = []
    for name, value in fields.items():
        if name == "agent":
            value = _resolve_agent(value)
        elif name == "dns_credentials":
            value = _dns_credentials(mapping, fields.get("dns_provider"), value)
        elif name in SECRET_FIELDS and value in ("", None):
            continue
        elif name == "dns_provider" and mapping.pk and value != mapping.dns_provider:
            raise ValidationError(
                {"dns_provider": ["The provider cannot change; make a new mapping."]}
            )
        if value is None and name not in ("agent",):
            raise ValidationError({name: ["Must not be null."]})
        if getattr(mapping, name) != value:
            setattr(mapping, name, value)
            changed.append(name)
    return changed


def _dns_credentials(mapping: AgentMapping, provider: str | None, submitted) -> str:
    code = provider or mapping.dns_provider
    if not code:
        raise ValidationError({"dns_provider": ["This field is required."]})
    stored = mapping.dns_credential_values() if mapping.pk else None
    try:
        cleaned = cleaned_credentials(code, submitted, stored=stored)
    except ValidationError as error:
        # The API and the form call them provider and credentials (as a DNS account's).
        raise ValidationError(
            {"dns_" + name: messages for name, messages in error.message_dict.items()}
        ) from None
    return json.dumps(cleaned)


def _fetch_host_key_on_commit(mapping: AgentMapping) -> None:
    from agents.tasks import fetch_host_key

    transaction.on_commit(lambda: fetch_host_key.delay(mapping.pk))


def _needs_host_key(mapping: AgentMapping) -> bool:
    return mapping.kind == MappingKind.LINUX and not mapping.host_key_fingerprint


@transaction.atomic
def create_mapping(*, kind: str, actor, **fields) -> AgentMapping:
    """A new mapping of `kind` with the fields of that kind (LINUX_FIELDS,
    WINDOWS_FIELDS, DNS_FIELDS) and domain, deploy, enabled."""
    if kind not in MappingKind.values:
        raise ValidationError({"kind": [f"One of: {', '.join(MappingKind.values)}."]})
    mapping = AgentMapping(kind=kind)
    if kind == MappingKind.DNS and "dns_credentials" not in fields:
        fields = {**fields, "dns_credentials": {}}
    _apply(mapping, fields)
    _check(mapping)
    mapping.save()
    record_audit_event(
        "agent_mapping.create",
        actor=actor,
        target=mapping,
        detail={"kind": kind, "domain": mapping.domain, "deploy": mapping.deploy},
    )
    if _needs_host_key(mapping):
        _fetch_host_key_on_commit(mapping)
    mappings_changed.send(sender=AgentMapping, actor=actor)
    return mapping


@transaction.atomic
def update_mapping(mapping: AgentMapping, *, actor, **fields) -> AgentMapping:
    """Change what is given; the kind stays. Moving a Linux mapping to another host or
    port unpins its host key unless a new one is given."""
    mapping = AgentMapping.objects.select_for_update().get(pk=mapping.pk)
    changed = _apply(mapping, fields)
    if not changed:
        return mapping
    moved = any(name in changed for name in SERVER_FIELDS)
    if moved and "host_key_fingerprint" not in changed:
        mapping.host_key_fingerprint = mapping.seen_host_key_fingerprint = ""
        changed += ["host_key_fingerprint", "seen_host_key_fingerprint"]
    _check(mapping)
    mapping.save(update_fields=[*changed, "updated_at"])
    record_audit_event(
        "agent_mapping.update", actor=actor, target=mapping, detail={"changed": changed}
    )
    if _needs_host_key(mapping) and (moved or not mapping.seen_host_key_fingerprint):
        _fetch_host_key_on_commit(mapping)
    mappings_changed.send(sender=AgentMapping, actor=actor)
    return mapping


@transaction.atomic
def delete_mapping(mapping: AgentMapping, *, actor) -> None:
    record_audit_event(
        "agent_mapping.delete",
        actor=actor,
        target=mapping,
        detail={"kind": mapping.kind, "domain": mapping.domain},
    )
    mapping.delete()
    mappings_changed.send(sender=AgentMapping, actor=actor)


@transaction.atomic
def trust_host_key(mapping: AgentMapping, *, fingerprint: str, actor) -> AgentMapping:
    """Pin the host key a person compared with the server's (spec V3): `fingerprint`
    must be the one certlife saw when it connected."""
    mapping = AgentMapping.objects.select_for_update().get(pk=mapping.pk)
    if mapping.kind != MappingKind.LINUX:
        raise ValidationError({"kind": ["Only a Linux (SSH) mapping has a host key."]})
    if not isinstance(fingerprint, str) or not FINGERPRINT.fullmatch(fingerprint):
        raise ValidationError(
            {"fingerprint": ["A SHA256 fingerprint as OpenSSH prints it: SHA256:..."]}
        )
    seen = mapping.seen_host_key_fingerprint
    if not seen:
        raise ValidationError(
            {"fingerprint": ["certlife has not seen this server's host key yet; wait a moment."]}
        )
    if fingerprint != seen:
        raise ValidationError({"fingerprint": [f"This is not the key the server showed ({seen})."]})
    previous = mapping.host_key_fingerprint
    mapping.host_key_fingerprint = fingerprint
    mapping.last_error = ""
    mapping.save(update_fields=["host_key_fingerprint", "last_error", "updated_at"])
    record_audit_event(
        "agent_mapping.trust_host_key",
        actor=actor,
        target=mapping,
        detail={"fingerprint": fingerprint, "replaced": previous},
    )
    mappings_changed.send(sender=AgentMapping, actor=actor)
    return mapping


@transaction.atomic
def fetch_host_key_again(mapping: AgentMapping, *, actor) -> AgentMapping:
    """Ask the server for its host key again (after it was unreachable, or its key
    changed on purpose); the answer lands in seen_host_key_fingerprint."""
    if mapping.kind != MappingKind.LINUX:
        raise ValidationError({"kind": ["Only a Linux (SSH) mapping has a host key."]})
    record_audit_event("agent_mapping.fetch_host_key", actor=actor, target=mapping)
    _fetch_host_key_on_commit(mapping)
    return mapping
