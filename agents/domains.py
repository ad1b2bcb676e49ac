"""The domain of an agent mapping: an exact name, or `*.example.com` covering the names
one level below example.com (docs/features.md V3).

The syntax is the request names' (certlife.dns_names: lower-case A-labels, the label
rules, no trailing dot); the request's policy (public suffixes, wildcards and challenges)
is not repeated here: a mapping only ever matches names a request already passed.
"""

from certlife import dns_names


class InvalidMappingDomain(ValueError):
    """The message names the domain and the rule it breaks."""


def normalize_mapping_domain(raw: str) -> str:
    """`raw` as stored: lower-case A-labels, no trailing dot; raises InvalidMappingDomain."""
    try:
        name = dns_names.to_ascii(raw)
    except dns_names.NotAnInternationalisedName as error:
        raise InvalidMappingDomain(str(error)) from None
    if not name:
        raise InvalidMappingDomain("The domain is required.")
    wildcard = name.startswith("*.")
    base = name[2:] if wildcard else name
    if "*" in base:
        raise InvalidMappingDomain(
            f"{name}: a wildcard must be the whole leftmost label, as in *.example.com"
        )
    if len(name) > dns_names.MAX_NAME_LENGTH:
        raise InvalidMappingDomain(f"{name}: longer than {dns_names.MAX_NAME_LENGTH} characters")
    labels = base.split(".")
    if len(labels) < 2:
        raise InvalidMappingDomain(f"{name}: must have at least two labels, as in example.com")
    for label in labels:
        if problem := dns_names.label_problem(label):
            raise InvalidMappingDomain(f"{name}: {problem}")
    return name


def patterns_covering(name: str) -> list[str]:
    """The mapping domains that cover `name`, most specific first: the name itself,
    then the wildcard one level up. `*.example.com` covers `www.example.com` and the
    request name `*.example.com`, not `example.com` nor `a.b.example.com`."""
    name = name.strip().lower().removesuffix(".")
    if name.startswith("*."):
        return [name]
    parent = name.partition(".")[2]
    return [name, f"*.{parent}"] if "." in parent else [name]
