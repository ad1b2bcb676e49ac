"""Every page and API route, walked as an administrator with hostile query strings and
hostile ids in the path: a bad value is a 400 or a 404 (or, on a page, a filter that
is ignored and shown as a form error), never a 500, and it writes nothing."""

import re
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from tests.certlife.hostile_input import (
    FIXTURE_ID,
    HOSTILE_IDS,
    HOSTILE_STRINGS,
    QUERY_PARAMETERS,
)

ID_PARAMETERS = {"pk", "object_id", "id", "content_type_id"}
# Other path parameters: a value that routes, so the query string is what is tested.
SAMPLE_PATH_VALUES = {
    "provider": "cloudflare",
    "action": "verify",
    "token": "fixture-token",
    "url": "x",
}
NAMED_GROUP = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>([^()]*)\)")
ALTERNATION = re.compile(r"\w+(\|\w+)+")


def _route_templates(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _route_templates(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


ROUTES = sorted(set(_route_templates(get_resolver().url_patterns)))


def is_admin(template: str) -> bool:
    return template.startswith("admin/")


def reads_filters(template: str) -> bool:
    """Every route of ours; of Django's admin, the pages that read query parameters (the
    index and the change lists, where they become lookups). Its add, change, delete and
    history pages are walked with hostile ids below."""
    admin_reading = re.fullmatch(r"admin/(\w+/\w+/)?|.*app_label.*", template)
    return not is_admin(template) or admin_reading is not None


def concrete_path(template: str, hostile: dict[str, str] | None = None) -> str:
    """The route with every parameter filled: ids with FIXTURE_ID, the others with a
    value that routes, and those named in `hostile` with its value."""

    def fill(match):
        name, regex = match.group(1) or match.group(2), match.group(3)
        if regex and ALTERNATION.fullmatch(regex):
            return regex.split("|")[0]
        if hostile and name in hostile:
            return quote(hostile[name], safe="")
        if name in ID_PARAMETERS:
            return str(FIXTURE_ID)
        assert name in SAMPLE_PATH_VALUES, f"add a sample value for <{name}> in {template}"
        return SAMPLE_PATH_VALUES[name]

    path = NAMED_GROUP.sub(fill, template).replace("^", "").replace("$", "")
    assert "(" not in path and "<" not in path, f"cannot fill the route {template}"
    return "/" + path


def path_parameters(template: str) -> list[str]:
    return [
        match.group(1) or match.group(2)
        for match in NAMED_GROUP.finditer(template)
        if not ALTERNATION.fullmatch(match.group(3) or "")
    ]


def hostile_query_strings():
    """Each hostile value in every parameter at once, then a NUL one parameter at a time
    (so a parameter checked first cannot hide one checked later)."""
    for value in HOSTILE_STRINGS:
        yield urlencode(dict.fromkeys(QUERY_PARAMETERS, value))
    for name in QUERY_PARAMETERS:
        yield urlencode({name: "a\x00b"})
    yield "page=abc&page_size=-1&status=bogus&name=%00&unknown=1"
    yield "page=2&page=abc"  # a repeated parameter
    yield "%ZZ=%ZZ&=&&=x"  # undecodable and empty names


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def admin_client(client, administrator, one_of_everything):
    client.force_login(administrator)
    client.raise_request_exception = False
    return client


def test_the_walk_fills_every_route():
    assert "api/v1/^certificates/(?P<pk>[0-9]+)/$" in ROUTES
    assert concrete_path("api/v1/^certificates/(?P<pk>[0-9]+)/$") == "/api/v1/certificates/4242/"
    hostile = concrete_path("manage/dns/add/<str:provider>/", {"provider": "١٠"})
    assert hostile == "/manage/dns/add/%D9%A1%D9%A0/"
    for template in ROUTES:
        concrete_path(template)


def test_no_hostile_query_string_is_a_server_error(admin_client, offline):
    """Every route (one test, so the fixtures are made once), every failure listed."""
    failures = []
    for template in filter(reads_filters, ROUTES):
        path = concrete_path(template)
        for number, query in enumerate(hostile_query_strings()):
            headers = {"HX-Request": "true"} if number % 2 else {}  # htmx fragments too
            response = admin_client.get(f"{path}?{query}", headers=headers)
            if response.status_code >= 500:
                failures.append(f"GET {path}?{query[:80]} {headers} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert offline.attempts == []


def test_a_hostile_path_parameter_finds_nothing_and_writes_nothing(admin_client, offline):
    """Ours answer 400, 404 or 405 (403 where the role may not, 401 on the pull agents'
    routes, which take an agent's token and no user's); Django's admin pages answer as
    they do (a redirect with a message), but never a 5xx."""
    before = row_counts()
    failures = []
    for template in ROUTES:
        for name in path_parameters(template):
            for value in HOSTILE_IDS:
                path = concrete_path(template, {name: value})
                for method in (admin_client.get, admin_client.post):
                    status = method(path).status_code
                    refused = (
                        status in (400, 403, 404, 405)
                        or (is_admin(template) and status < 500)
                        or (template.startswith("api/v1/agent/") and status == 401)
                    )
                    if not refused:
                        failures.append(f"{method.__name__.upper()} {path} -> {status}")
    assert not failures, "\n".join(failures)
    assert row_counts() == before
    assert offline.attempts == []


API_LISTS = [
    "/api/v1/certificates/",
    "/api/v1/requests/",
    "/api/v1/accounts/",
    "/api/v1/dns-accounts/",
    "/api/v1/audit-events/",
]


BAD_PAGES = [
    {"page": "abc"},
    {"page": "0"},
    {"page": "-3"},
    {"page": "١٠"},
    {"page": ""},
    {"page_size": "-1"},
    {"page_size": "0"},
    {"page_size": "1e9"},
    {"page_size": "١٠"},
    {"page_size": "501"},
    {"page_size": "99999999999999999999"},
]


def test_a_bad_page_is_a_400_naming_it(api_as, administrator):
    api = api_as(administrator)
    for path in API_LISTS:
        for query in BAD_PAGES:
            response = api.get(path, query)
            assert response.status_code == 400, (path, query)
            assert list(response.json()) == list(query), (path, query)


def test_a_page_past_the_end_is_a_404_and_good_pages_answer(
    api_as, administrator, one_of_everything
):
    api = api_as(administrator)
    assert api.get("/api/v1/certificates/", {"page": "99999999999999999999"}).status_code == 404
    assert api.get("/api/v1/certificates/", {"page": "9" * 5000}).status_code == 404
    assert api.get("/api/v1/certificates/", {"page": "last", "page_size": "500"}).status_code == 200
    assert api.get("/api/v1/certificates/", {"page": "1", "page_size": "1"}).json()["count"] == 1


BAD_FILTERS = [
    ("/api/v1/certificates/", {"status": "bogus"}),
    ("/api/v1/certificates/", {"expiry": "bogus"}),
    ("/api/v1/certificates/", {"attention": "bogus"}),
    ("/api/v1/certificates/", {"name": "x" * 256}),
    ("/api/v1/requests/", {"status": "bogus"}),
    ("/api/v1/requests/", {"name": "x" * 256}),
    ("/api/v1/accounts/", {"status": "bogus"}),
    ("/api/v1/accounts/", {"name": "x" * 256}),
    ("/api/v1/dns-accounts/", {"status": "bogus"}),
    ("/api/v1/dns-accounts/", {"name": "x" * 256}),
    ("/api/v1/audit-events/", {"outcome": "bogus"}),
    ("/api/v1/audit-events/", {"since": "2024-13-45"}),
    ("/api/v1/audit-events/", {"actor": "x" * 256}),
    ("/api/v1/certificates/", {"name": "a\x00b"}),
    ("/api/v1/requests/", {"status": "\x00"}),
]


def test_a_bad_filter_is_a_400_naming_the_parameter(api_as, administrator):
    api = api_as(administrator)
    for path, query in BAD_FILTERS:
        response = api.get(path, query)
        assert response.status_code == 400, (path, query)
        assert list(response.json()) == list(query), (path, query)


def test_filters_narrow_lists_and_unknown_parameters_are_ignored(
    api_as, administrator, one_of_everything
):
    api = api_as(administrator)

    def count(path, **query):
        response = api.get(path, query)
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count("/api/v1/certificates/", name="www.example", unknown="1", ordering="x") == 1
    assert count("/api/v1/certificates/", status="revoked") == 0
    assert count("/api/v1/certificates/", expiry="later") == 1
    assert count("/api/v1/requests/", status="available", name="www") == 1
    assert count("/api/v1/requests/", status="failed") == 0
    assert count("/api/v1/accounts/", status="valid", name="local") == 1
    assert count("/api/v1/dns-accounts/", status="enabled", name="cf") == 1
    assert count("/api/v1/dns-accounts/", status="disabled") == 0
    assert count("/api/v1/audit-events/", action="fixture", outcome="success") == 1


def test_list_filters_do_not_reach_a_single_object(api_as, administrator, one_of_everything):
    api = api_as(administrator)
    assert api.get(f"/api/v1/certificates/{FIXTURE_ID}/", {"status": "revoked"}).status_code == 200
    assert api.get(f"/api/v1/requests/{FIXTURE_ID}/", {"status": "bogus"}).status_code == 200


def test_a_page_ignores_a_bad_filter_and_says_so(admin_client):
    response = admin_client.get("/certificates/", {"status": "bogus", "name": "www.example"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["object_list"]] == [FIXTURE_ID]
    assert "Status ignored: Select a valid choice. bogus is not one of" in response.content.decode()
    pending = admin_client.get("/acme/letsencrypt/pending/", {"status": "saved"})
    assert "Status ignored" in pending.content.decode()
    audit = admin_client.get("/audit/", {"since": "yesterday-ish", "action": "fixture"})
    assert [event.pk for event in audit.context["object_list"]] == [FIXTURE_ID]
    assert "Since ignored: Enter a valid date." in audit.content.decode()


def test_a_nul_character_is_refused_before_any_view(admin_client, api_as, administrator):
    response = api_as(administrator).get("/api/v1/requests/", {"name": "a\x00b", "status": ""})
    assert response.status_code == 400
    assert response.json() == {"name": ["Null characters are not allowed."]}
    assert admin_client.get("/admin/certlife/auditevent/", {"action": "\x00"}).status_code == 400
    assert admin_client.get("/.well-known/acme-challenge/a%00b").status_code == 400


def test_the_profile_fragment_reads_a_bad_account_as_none(admin_client):
    for account in ("abc", "99999999999999999999", "١٠", "x" * 1000):
        response = admin_client.post("/acme/letsencrypt/request/profiles/", {"account": account})
        assert response.status_code == 200
        assert "This CA offers no profiles." in response.content.decode()


def test_the_schema_describes_the_query_parameters_of_lists(api_as, administrator):
    schema = api_as(administrator).get("/api/v1/schema/", {"format": "json"}).json()

    def parameters(path):
        return {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}

    certificates = parameters("/api/v1/certificates/")
    assert set(certificates) == {"page", "page_size", "name", "status", "expiry", "attention"}
    assert certificates["attention"]["enum"] == ["yes"]
    assert certificates["status"]["enum"] == ["active", "revoked"]
    assert certificates["name"]["maxLength"] == 255
    assert {"status", "name"} <= set(parameters("/api/v1/requests/"))
    assert {"status", "name"} <= set(parameters("/api/v1/accounts/"))
    assert {"status", "name"} <= set(parameters("/api/v1/dns-accounts/"))
    assert {"actor", "action", "outcome", "since", "until"} <= set(
        parameters("/api/v1/audit-events/")
    )
    single = schema["paths"]["/api/v1/certificates/{id}/"]["get"]["parameters"]
    assert [p["name"] for p in single] == ["id"]
