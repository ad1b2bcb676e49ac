"""Links that come from a CA (terms of service, website, ARI explanation URLs) are
followed only when they are https: a `javascript:` or `data:` URL, or a plain-http
one, is shown as text. Use `{% load ca_links %}` and `{{ url|https_link }}`."""

from urllib.parse import urlsplit

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html

register = template.Library()

SHOWN_LENGTH = 80


def is_https_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


@register.filter
def https_link(url) -> str:
    """An <a> to `url` when it is an https URL, else its text (escaped either way)."""
    url = str(url or "").strip()
    shown = truncatechars(url, SHOWN_LENGTH)
    if is_https_url(url):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, shown
        )
    return format_html('<span class="mono">{}</span> (not an https link)', shown)
