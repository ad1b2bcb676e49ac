"""The domain of an agent mapping: an exact name, or `*.example.com` covering the names
one level below example.com (docs/features.md V3).

The rules follow the request's name rules (lower-case A-labels, letters, digits and
hyphens, no trailing dot); they are kept here because nothing imports acme_orders
(docs/architecture.md), and a mapping only ever matches names a request already passed.
"""

import idna

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class InvalidMappingDomain(ValueError):
    """The message names the domain and the rule it breaks."""


def normalize_mapping_domain(raw: str) -> str:
    """`raw` as stored: lower-case A-labels, no trailing dot; raises InvalidMappingDomain."""
    name = raw.strip().lower().removesuffix(".")
    if not name:
        raise InvalidMappingDomain("The domain is required.")
    wildcard = name.startswith("*.")
    base = name[2:] if wildcard else name
    if "*" in base:
        raise InvalidMappingDomain(
            f"{name}: a wildcard must be the whole leftmost label, as in *.example.com"
        )
    if not base.isascii():
        try:
            base = idna.encode(base, uts46=True).decode()
        except idna.IDNAError as error:
            raise InvalidMappingDomain(
                f"{name}: not a valid internationalised name ({error})"
            ) from None
    if len(base) + (2 if wildcard else 0) > MAX_NAME_LENGTH:
        raise InvalidMappingDomain(f"{name}: longer than {MAX_NAME_LENGTH} characters")
    labels = base.split(".")
    if len(labels) < 2:
        raise InvalidMappingDomain(f"{name}: must have at least two labels, as in example.com")
    for label in labels:
        if not label:
            raise InvalidMappingDomain(f"{name}: has an empty label")
        if len(label) > MAX_LABEL_LENGTH:
            raise InvalidMappingDomain(
                f"{name}: has a label longer than {MAX_LABEL_LENGTH} characters"
            )
        if not set(label) <= LDH or label.startswith("-") or label.endswith("-"):
            raise InvalidMappingDomain(
                f"{name}: labels may contain only letters, digits and inner hyphens"
            )
    return f"*.{base}" if wildcard else base


def patterns_covering(name: str) -> list[str]:
    """The mapping domains that cover `name`, most specific first: the name itself,
    then the wildcard one level up. `*.example.com` covers `www.example.com` and the
    request name `*.example.com`, not `example.com` nor `a.b.example.com`."""
    name = name.strip().lower().removesuffix(".")
    if name.startswith("*."):
        return [name]
    parent = name.partition(".")[2]
    return [name, f"*.{parent}"] if "." in parent else [name]
