"""CAA (RFC 8659) checked before an order is placed, so a name the CA may not issue for
fails early with a clear message instead of a CA error after validation.

The closest CAA record set up the tree decides (CNAMEs followed by the resolver);
`issuewild` governs wildcard names when present; `accounturi` and
`validationmethods` parameters are honoured. The CA's identities come from its
directory (`meta.caaIdentities`); Let's Encrypt's is known.
"""

from dns_providers import resolver

KNOWN_IDENTITIES = {
    "https://acme-v02.api.letsencrypt.org/directory": ["letsencrypt.org"],
    "https://acme-staging-v02.api.letsencrypt.org/directory": ["letsencrypt.org"],
}


def ca_identities(directory, directory_url: str) -> list[str]:
    meta = directory.meta
    identities = list(getattr(meta, "caa_identities", None) or ())
    return identities or KNOWN_IDENTITIES.get(directory_url, [])


def closest_caa(name: str) -> tuple[str, list]:
    """(owner name, CAA rdatas) of the closest CAA record set at or above `name`."""
    labels = name.split(".")
    for start in range(len(labels) - 1):
        owner = ".".join(labels[start:])
        if found := resolver.caa_records(owner):
            return owner, found
    return "", []


def _parameters(value: str) -> tuple[str, dict[str, str]]:
    issuer, *pairs = [part.strip() for part in value.split(";")]
    parameters = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return issuer.lower(), {key.strip().lower(): item.strip() for key, item in parameters.items()}


def caa_problem(
    name: str, *, identities: list[str], account_url: str, challenge_type: str
) -> str | None:
    """Why CAA forbids this CA to issue for `name`, or None."""
    if not identities:
        return None  # the CA did not say who it is; it checks CAA itself
    wildcard = name.startswith("*.")
    owner, records = closest_caa(name.removeprefix("*."))
    tags = {record.tag.decode().lower() for record in records}
    tag = "issuewild" if wildcard and "issuewild" in tags else "issue"
    relevant = [r for r in records if r.tag.decode().lower() == tag]
    if not relevant:
        return None
    for record in relevant:
        issuer, parameters = _parameters(record.value.decode())
        if issuer not in identities:
            continue
        if "accounturi" in parameters and parameters["accounturi"] != account_url:
            continue
        methods = parameters.get("validationmethods")
        if methods and challenge_type not in [m.strip() for m in methods.split(",")]:
            continue
        return None
    allowed = sorted({_parameters(r.value.decode())[0] or "no CA" for r in relevant})
    return (
        f"{name}: the CAA records at {owner} allow {', '.join(allowed)} to issue, not "
        f"{identities[0]} (or not for this account or challenge type); change the CAA "
        "records or use another CA."
    )
