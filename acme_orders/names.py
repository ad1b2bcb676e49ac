"""Domain-name rules of certificate requests (spec R1), following Boulder's policy,
since Pebble enforces none of them: checked before any order exists."""

import ipaddress

from publicsuffixlist import PublicSuffixList

from certlife import dns_names
from certlife.dns_names import MAX_NAME_LENGTH

MIN_LABELS, MAX_LABELS = 2, 10
DEFAULT_MAX_NAMES = 100
# What a name may be as typed, before conversion: room for surrounding spaces and for
# Unicode that UTS 46 maps away (soft hyphens...); anything longer is refused unread.
MAX_INPUT_NAME_LENGTH = 300
# Special-use names that are not in the ICANN suffix list anyway; listed for clear messages.
RESERVED_SUFFIXES = (
    "local",
    "localhost",
    "internal",
    "test",
    "example",
    "invalid",
    "onion",
    "alt",
    "arpa",
)

# ICANN section only, unknown TLDs refused: `corp`, `lan`, `home` are not public names.
_suffixes = PublicSuffixList(only_icann=True, accept_unknown=False)


class InvalidDomainNames(ValueError):
    """One message per refused name, each naming the name and the rule."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def to_ascii(name: str) -> str:
    """Lower-case A-label form; an IDN in Unicode is converted to punycode."""
    try:
        return dns_names.to_ascii(name)
    except dns_names.NotAnInternationalisedName as error:
        raise InvalidDomainNames([str(error)]) from None


def name_problem(name: str, *, challenge_type: str, allow_ip: bool = False) -> str | None:
    """Why `name` (already A-label, lower case) cannot be in a certificate, or None."""
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        return None if allow_ip else "IP addresses are not allowed; use a DNS name"
    if name.count("*") > 1:
        return "may hold at most one wildcard"
    wildcard = name.startswith("*.")
    if "*" in name and not wildcard:
        return "a wildcard must be the whole leftmost label, as in *.example.com"
    if wildcard and challenge_type != "dns-01":
        return "a wildcard name needs the DNS-01 challenge"
    base = name[2:] if wildcard else name
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    labels = base.split(".")
    if not MIN_LABELS <= len(labels) <= MAX_LABELS:
        return f"must have between {MIN_LABELS} and {MAX_LABELS} labels"
    for label in labels:
        problem = dns_names.label_problem(label)
        if problem:
            return problem
    if base.split(".")[-1] in RESERVED_SUFFIXES or base.endswith(".home.arpa"):
        return "is a reserved name, not a public DNS name"
    suffix = _suffixes.publicsuffix(base)
    if suffix is None:
        return "does not end in a public suffix (internal or unknown top-level domain)"
    if suffix == base:
        return "is a public suffix itself" + (", a wildcard over it is refused" if wildcard else "")
    return None


def normalize_domains(
    raw_names: list[str],
    *,
    challenge_type: str,
    max_names: int = DEFAULT_MAX_NAMES,
    allow_ip: bool = False,
) -> list[str]:
    """The request's names as the CA will see them: A-labels, lower case, duplicates
    removed (first one kept, as the common name comes first). Raises InvalidDomainNames.

    Too many names, or a name far too long to be one, are refused before any name is
    converted or checked: the refusal costs the same for a million names as for 101."""
    if len(raw_names) > max_names:
        raise InvalidDomainNames(
            [f"At most {max_names} names per certificate; {len(raw_names)} given."]
        )
    too_long = [raw for raw in raw_names if len(raw) > MAX_INPUT_NAME_LENGTH]
    if too_long:
        raise InvalidDomainNames(
            [f"{raw[:40]}...: is longer than {MAX_NAME_LENGTH} characters" for raw in too_long]
        )
    names, problems = [], []
    for raw in raw_names:
        if not raw.strip():
            continue
        try:
            name = to_ascii(raw)
        except InvalidDomainNames as error:
            problems.extend(error.messages)
            continue
        problem = name_problem(name, challenge_type=challenge_type, allow_ip=allow_ip)
        if problem:
            problems.append(f"{raw.strip()}: {problem}")
        elif name not in names:
            names.append(name)
    if problems:
        raise InvalidDomainNames(problems)
    if not names:
        raise InvalidDomainNames(["Enter at least one domain name."])
    return names
