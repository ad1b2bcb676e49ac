"""The syntax of DNS names, shared by certificate requests (acme_orders.names) and agent
mappings (agents.domains): the lower-case A-label form and the rules of one label.
Policy (public suffixes, reserved names, wildcards and challenges) stays with each."""

import unicodedata

import idna

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class NotAnInternationalisedName(ValueError):
    """The message names the name and what idna found wrong."""


def to_ascii(name: str) -> str:
    """Lower-case A-label form without a trailing dot; an IDN in Unicode is converted
    to punycode; a leading `*.` is kept."""
    name = name.strip().lower().removesuffix(".")
    if name.isascii():
        return name
    wildcard = name.startswith("*.")
    base = name[2:] if wildcard else name
    try:
        ascii_name = idna.encode(base, uts46=True).decode()
    except idna.IDNAError as error:
        raise NotAnInternationalisedName(
            f"{name}: not a valid internationalised name ({error})"
        ) from None
    return f"*.{ascii_name}" if wildcard else ascii_name


def label_problem(label: str) -> str | None:
    """Why `label` (A-label, lower case) cannot be a DNS label, or None."""
    if not label:
        return "has an empty label"
    if len(label) > MAX_LABEL_LENGTH:
        return f"has a label longer than {MAX_LABEL_LENGTH} characters"
    if not set(label) <= LDH:
        return "may contain only letters, digits and hyphens"
    if label.startswith("-") or label.endswith("-"):
        return "has a label that starts or ends with a hyphen"
    if label[2:4] == "--":
        if not label.startswith("xn--"):
            return f"has a label with '--' in positions 3 and 4 that is not punycode ({label})"
        try:
            decoded = idna.decode(label)
        except idna.IDNAError:
            return f"has an invalid punycode label ({label})"
        if unicodedata.normalize("NFC", decoded) != decoded:
            return f"has a punycode label that is not in NFC form ({label})"
    return None
