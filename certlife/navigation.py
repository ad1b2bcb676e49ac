"""The navigation of the spec, built from entries each feature registers as it lands.

Certificates >> Certificates, Certificates >> ACME >> Let's Encrypt (Request, Pending
requests), Manage (Accounts, DNS, Deploy, Windows Agent). An entry shows only to users
holding its permission.
"""

from dataclasses import dataclass

from django.urls import reverse

SECTIONS = ("Certificates", "ACME >> Let's Encrypt", "Manage", "Platform")


@dataclass(frozen=True)
class NavigationEntry:
    section: str
    label: str
    url_name: str
    permission: str | None = None
    order: int = 100


_entries: list[NavigationEntry] = []


def register(entry: NavigationEntry) -> None:
    if entry.section not in SECTIONS:
        raise ValueError(f"unknown navigation section {entry.section!r}")
    if entry not in _entries:
        _entries.append(entry)


def navigation(request):
    """Context processor: `navigation` is [(section, [(label, url, active)])]."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    sections = []
    for section in SECTIONS:
        links = []
        for entry in sorted(_entries, key=lambda e: (e.order, e.label)):
            if entry.section != section:
                continue
            if entry.permission and not user.has_perm(entry.permission):
                continue
            url = reverse(entry.url_name)
            links.append((entry.label, url, request.path.startswith(url) and url != "/"))
        if links:
            sections.append((section, links))
    return {"navigation": sections}
