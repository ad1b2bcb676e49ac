"""ACME profiles (spec R7): what the CA's directory offers in `meta.profiles`, and the
name limit of each (Let's Encrypt: classic 100 names, tlsserver and shortlived 25)."""

from dataclasses import dataclass

from accounts.acme.directory import fetch_directory
from accounts.errors import AcmeError
from acme_orders.names import DEFAULT_MAX_NAMES

KNOWN_NAME_LIMITS = {"classic": 100, "tlsserver": 25, "shortlived": 25}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    max_names: int


def name_limit(profile: str) -> int:
    return KNOWN_NAME_LIMITS.get(profile, DEFAULT_MAX_NAMES)


def offered_profiles(directory) -> list[Profile]:
    profiles = getattr(directory.meta, "profiles", None) or {}
    return [
        Profile(name=name, description=str(description), max_names=name_limit(name))
        for name, description in profiles.items()
    ]


def profile_problem(directory, profile: str) -> str | None:
    """Why the CA cannot take `profile`, or None (an empty profile is the CA's default)."""
    if not profile:
        return None
    offered = [p.name for p in offered_profiles(directory)]
    if not offered:
        return f"The CA offers no ACME profiles; leave the profile empty (not {profile!r})."
    if profile not in offered:
        return f"The CA offers the profiles {', '.join(offered)}, not {profile!r}."
    return None


def account_profile_problem(account, profile: str) -> str | None:
    """Why the CA of `account` (an AcmeAccount) cannot take `profile`, or None. The
    directory is read through the cached, short-time-out `fetch_directory`; an empty
    profile (the CA's default) needs no network."""
    if not profile:
        return None
    try:
        directory = fetch_directory(account.directory_url)
    except AcmeError as error:
        return (
            f"The CA's directory could not be read, so the profile {profile!r} cannot be "
            f"checked: {error}"
        )
    return profile_problem(directory, profile)
