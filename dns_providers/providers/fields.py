"""The credential fields a DNS provider declares, and the rules their values follow.

A field's declaration is the one place its rules live: `clean_field` applies the rules
every field shares (a string, at most `max_length` characters, no control characters
or line breaks) and then the field's own `format`; the action, the form and the
provider's own constructor all go through it. A format is a function of the value that
returns None, or a message naming the rule the value breaks (never the value: it may
be a secret).
"""

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

# Longest secret any provider issues, with room to spare (Cloudflare tokens are 40
# characters, TSIG keys about 90, Azure client secrets 40).
SECRET_MAX_LENGTH = 4096
NAME_MAX_LENGTH = 253  # a DNS name, without its final dot
EMAIL_MAX_LENGTH = 254
# C0 and C1 controls (NUL, CR, LF, TAB, NEL...), DEL, and the Unicode line and
# paragraph separators: none belongs in a credential, and some split headers.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

Format = Callable[[str], str | None]


@dataclass(frozen=True)
class CredentialField:
    """One credential a provider needs, as the form and the API show and check it."""

    name: str
    label: str
    max_length: int
    format: Format | None = None
    required: bool = True
    secret: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""
    help: str = ""


def clean_field(field: CredentialField, submitted: Mapping) -> tuple[str, list[str]]:
    """(the value, its errors). A missing or empty value takes the field's default;
    null and other non-strings are errors, as are values breaking the field's rules."""
    value = submitted.get(field.name, "")
    if value is None:
        return "", ["Must be a string, not null."]
    if not isinstance(value, str):
        return "", [f"Must be a string, not {type(value).__name__}."]
    if len(value) > field.max_length:
        return "", [f"At most {field.max_length} characters."]
    value = value or field.default
    if not value:
        return "", ["This field is required."] if field.required else []
    if FORBIDDEN_CHARACTERS.search(value):
        return "", ["Must not contain control characters or line breaks."]
    if field.choices and value not in dict(field.choices):
        return "", [f"Must be one of: {', '.join(choice for choice, _ in field.choices)}."]
    problem = field.format(value) if field.format else None
    return value, [problem] if problem else []


def pattern_format(pattern: str, message: str, flags: int = re.ASCII) -> Format:
    """A format: the whole value matches `pattern` (ASCII classes unless `flags` say)."""
    compiled = re.compile(pattern, flags)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else message

    return check


HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# TSIG key names are DNS names that servers also accept with underscores (tsig_key).
KEY_NAME_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


def _dns_name_problem(value: str, label: re.Pattern, what: str) -> str | None:
    name = value.removesuffix(".")
    labels = name.split(".")
    if not name or len(name) > NAME_MAX_LENGTH or not all(label.fullmatch(x) for x in labels):
        return (
            f"{what}: dot-separated labels of 1 to 63 letters, digits and hyphens (not first "
            f"or last), {NAME_MAX_LENGTH} characters in all."
        )
    return None


def host_name(value: str) -> str | None:
    problem = _dns_name_problem(value, HOST_LABEL, "A host name")
    if problem is None and value.removesuffix(".").rsplit(".", 1)[-1].isdigit():
        # "10.1.2" is neither an IP address nor a name: resolvers read it as 10.1.0.2.
        return "A host name ends with a label that is not all digits, or give an IP address."
    return problem


def host_name_or_ip_address(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        problem = host_name(value)
        return problem and f"{problem} Or an IPv4 or IPv6 address."
    return None


def dns_zone_name(value: str) -> str | None:
    return _dns_name_problem(value, HOST_LABEL, "A zone name")


def tsig_key_name(value: str) -> str | None:
    return _dns_name_problem(value, KEY_NAME_LABEL, "A key name (underscores allowed)")


def port_number(value: str) -> str | None:
    if re.fullmatch("[0-9]{1,5}", value) and 1 <= int(value) <= 65535:
        return None
    return "A port number from 1 to 65535, in the digits 0-9."


def base64_text(value: str) -> str | None:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "Not valid base64 (A-Z, a-z, 0-9, + and /, padded with =)."
    return None if decoded else "Not valid base64: it decodes to nothing."


def email_address(value: str) -> str | None:
    try:
        EmailValidator()(value)
    except ValidationError:
        return "Enter a valid email address."
    return None


api_token = pattern_format(r"[!-~]+", "Printable ASCII without spaces, as the provider issued it.")


def secret_api_token(name: str, label: str, **options) -> CredentialField:
    """A secret field holding a token, key or password a provider's API issued."""
    return CredentialField(
        name, label, max_length=SECRET_MAX_LENGTH, format=api_token, secret=True, **options
    )


ascii_digits = pattern_format(r"[0-9]{1,20}", "Digits 0-9 only (at most 20).")
uuid_text = pattern_format(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "A GUID like 00000000-0000-0000-0000-000000000000.",
)
