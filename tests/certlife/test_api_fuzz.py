"""The API fuzzed from its own OpenAPI schema. For every operation, schemathesis
generates valid data, data that breaks the schema (wrong types, nulls, out-of-range
numbers), valid data about the fixture rows, and, from strategies here, hostile values
(huge strings and lists, Unicode digits, control characters, lone surrogates, ids out
of range). Then every field of every request body gets each of a fixed list of
hostile values in turn, so the worst ones are always sent. Every request goes to the
WSGI app in this process, as an administrator.

It fails on any 5xx, and on any row written by a refused request: after a 4xx, the
row count of every model is what it was (audit events that record the refusal itself,
with outcome failure or denied, are the exception: the audit log records refusals).

Nothing reaches the network. The fixture account's CA is a local server that answers
every request with a 404 (not an ACME server: a permanent error, so no retry), and
any connection or name lookup for anything but loopback is refused on the spot (the
`offline` fixture). Generated directory URLs (register, import) therefore fail fast
at once and locally, with the CA-unreachable 400 their success path would give.
Celery work is enqueued on commit, and each call runs in a savepoint that is rolled
back, so no task is ever sent.

Bounded and repeatable: a fixed number of examples per operation and generation
mode, derandomized, with a per-example deadline; the count is printed.
"""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from certlife.models import AuditEvent
from certlife.wsgi import application
from dns_providers.providers import PROVIDERS
from tests.certlife.hostile_input import FIXTURE_ID, HOSTILE_IDS, HOSTILE_STRINGS

EXAMPLES_PER_MODE = 10
EXAMPLE_DEADLINE = timedelta(seconds=5)
AUDITED_REFUSALS = ("failure", "denied")

# What a URL can carry (UTF-8, so no lone surrogate).
hostile_text = st.one_of(
    st.sampled_from([*HOSTILE_STRINGS, "x" * 100_000]),
    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=30),  # every digit
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), min_size=1, max_size=8),
    st.text(st.characters(codec="utf-8"), max_size=40),
)
# What a JSON body can carry besides: escaped lone surrogates, a megabyte.
hostile_value = st.one_of(
    hostile_text,
    st.sampled_from(["\ud800", "a\udfffb", "x" * 1_000_000]),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(hostile_text, max_size=3),
    st.dictionaries(st.text(max_size=8), hostile_text, max_size=3),
    st.just(["www.example.com"] * 100_000),
    st.just({str(number): "x" for number in range(10_000)}),
)
hostile_id = st.one_of(st.sampled_from([FIXTURE_ID, *HOSTILE_IDS]), st.integers())
# Sent in turn in every field of every body.
WORST_VALUES = [
    None, True, -1, 2**64, 1e308, "", "\ud800", "a\x00b", "١٠", "\r\n\x1b", "x" * 1_000_000,
    [], ["www.example.com"] * 100_000, {}, {"nested": {"deeper": [None]}},
]  # fmt: skip


@pytest.fixture
def app_in_this_transaction():
    """Like Django's test client: requests do not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def count_rows() -> dict[str, int]:
    """Rows of every model; of audit events, those that do not record a refusal."""
    counts = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    counts[AuditEvent._meta.label] = AuditEvent.objects.exclude(
        outcome__in=AUDITED_REFUSALS
    ).count()
    return counts


# Body fields whose valid values the schema cannot tell: with them, generated requests
# get past the first check and into the actions.
KNOWN_VALUES = {
    "account": st.just(FIXTURE_ID),
    "dns_account": st.just(FIXTURE_ID),
    "provider": st.sampled_from(sorted(PROVIDERS)),
    "domains": st.lists(
        st.sampled_from(["www.example.com", "example.org", "*.example.net", "bücher.example.de"]),
        min_size=1,
        max_size=3,
    ),
    "key_size": st.sampled_from([256, 384, 2048, 3072, 4096]),
    "email": st.sampled_from(["ops@example.com", "hostmaster@example.org"]),
    "kind": st.sampled_from(["linux", "windows", "dns"]),
}


KNOWN_EXAMPLES = {
    "account": FIXTURE_ID,
    "dns_account": FIXTURE_ID,
    "provider": "rfc2136",
    "domains": ["www.example.com"],
    "key_size": 256,
    "email": "ops@example.com",
    "kind": "linux",
}


def with_known_values(draw, case):
    if isinstance(case.body, dict):
        for key in KNOWN_VALUES.keys() & case.body.keys():
            case.body[key] = draw(KNOWN_VALUES[key])
    return case


@st.composite
def realistic_case(draw, operation):
    """A valid case about the fixture rows: their ids in the path and the body."""
    path = {p.name: FIXTURE_ID for p in operation.path_parameters}
    case = draw(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path))
    return with_known_values(draw, case)


@st.composite
def hostile_case(draw, operation):
    """A valid case with hostile ids in the path, hostile values in every query
    parameter (and an unknown one), and some fields of the body replaced."""
    path = {p.name: draw(hostile_id) for p in operation.path_parameters}
    query = {p.name: draw(hostile_text) for p in operation.query}
    query[draw(st.sampled_from(["unknown", "ordering", "page", "page_size"]))] = draw(hostile_text)
    case = draw(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path, query=query))
    with_known_values(draw, case)
    has_body = case.media_type is not None
    if has_body:
        case.media_type = "application/json"  # a form body cannot carry a lone surrogate
    if isinstance(case.body, dict) and case.body:
        for key in draw(st.lists(st.sampled_from(sorted(case.body)), min_size=1, max_size=3)):
            case.body[key] = draw(hostile_value)
        case.body[draw(st.text(min_size=1, max_size=10))] = draw(hostile_value)
    elif has_body and draw(st.booleans()):
        case.body = draw(hostile_value)
    return case


def strategies_for(operation) -> dict[str, st.SearchStrategy]:
    return {
        "positive": operation.as_strategy(GenerationMode.POSITIVE),
        "negative": operation.as_strategy(GenerationMode.NEGATIVE),
        "positive, fixture rows": realistic_case(operation),
        "hostile": hostile_case(operation),
    }


def body_fields(operation, raw_schema: dict) -> list[str]:
    """The top-level properties of the operation's JSON body, from the raw schema."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    body_schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in body_schema:
        body_schema = raw_schema["components"]["schemas"][body_schema["$ref"].split("/")[-1]]
    return sorted(body_schema.get("properties", {}))


def worst_value_cases(operation, raw_schema: dict):
    """Each field of the body, with each of WORST_VALUES, about the fixture rows."""
    path = {p.name: FIXTURE_ID for p in operation.path_parameters}
    fields = body_fields(operation, raw_schema)
    for field in fields:
        for value in WORST_VALUES:
            body = {key: KNOWN_EXAMPLES[key] for key in KNOWN_EXAMPLES if key in fields}
            yield operation.Case(
                path_parameters=path, body={**body, field: value}, media_type="application/json"
            )


def describe(case, status: int) -> str:
    body = repr(case.body)[:200] if case.body is not None else ""
    return f"{case.method} {case.formatted_path} query={case.query!r:.200} body={body} -> {status}"


# Every operation and every body field adds cases: the whole API takes longer than the
# suite's default 300 s on a busy machine.
@pytest.mark.timeout(900)
@pytest.mark.django_db
def test_no_generated_request_is_a_server_error_or_a_refused_write(
    administrator, one_of_everything, offline, app_in_this_transaction
):
    auth = {"Authorization": f"Token {Token.objects.create(user=administrator).key}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", app_in_this_transaction, headers=auth
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25, [o.label for o in operations]

    failures: list[str] = []
    answers: dict[str, Counter] = defaultdict(Counter)

    def exercise(case):
        with transaction.atomic():
            before = count_rows()
            response = case.call(headers=auth)
            after = count_rows()
            transaction.set_rollback(True)
        status = response.status_code
        answers[case.operation.label][status] += 1
        if status >= 500:
            failures.append(f"5xx: {describe(case, status)}")
        elif 400 <= status < 500 and after != before:
            failures.append(f"refused but wrote a row: {describe(case, status)}")

    for operation in operations:
        for strategy in strategies_for(operation).values():
            run = settings(
                max_examples=EXAMPLES_PER_MODE,
                derandomize=True,
                database=None,
                deadline=EXAMPLE_DEADLINE,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=strategy)(exercise))
            run()
        for case in worst_value_cases(operation, schema.raw_schema):
            exercise(case)

    generated = sum(sum(counter.values()) for counter in answers.values())
    print(f"\nAPI fuzz: {generated} generated requests over {len(operations)} operations")
    for label, counter in answers.items():
        print(f"  {label}: {dict(sorted(counter.items()))}")
    print(f"  outbound attempts refused locally: {len(offline.attempts)}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])


def test_a_lone_surrogate_in_a_json_body_is_a_400(api_as, administrator, one_of_everything):
    """Found by the fuzz test: JSON can spell a lone surrogate, which no UTF-8 text can
    hold; echoed in a 400 (or stored), it was a 500."""
    response = api_as(administrator).generic(
        "POST",
        "/api/v1/requests/",
        '{"account": 4242, "domains": ["a\\udfffb.example.com"], "challenge_type": "\\ud800"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]


CREDENTIAL_VALUES = [None, [], {"a": [1]}, 2**64, "²", "١٠", "a\x00b", "x" * 100_000]


def test_every_dns_credential_takes_the_worst_values(api_as, administrator, one_of_everything):
    """The credentials object is free-form in the schema, so the fuzz test above cannot
    know its keys; this sends each provider's own. Found here: a port given as a list,
    or as "²" (a digit to isdigit(), not to int()), was a 500."""
    api = api_as(administrator)
    stored = one_of_everything["dns_account"]
    failures = []
    for code, provider in PROVIDERS.items():
        for field in provider.fields:
            for value in CREDENTIAL_VALUES:
                body = {"provider": code, "name": "Fuzz", "credentials": {field.name: value}}
                with transaction.atomic():
                    created = api.post("/api/v1/dns-accounts/", body, format="json")
                    transaction.set_rollback(True)
                if created.status_code >= 500:
                    failures.append(f"POST {code}.{field.name}={value!r:.30}")
                if code == stored.provider:
                    patch = {"credentials": {field.name: value}}
                    with transaction.atomic():
                        changed = api.patch(
                            f"/api/v1/dns-accounts/{stored.pk}/", patch, format="json"
                        )
                        transaction.set_rollback(True)
                    if changed.status_code >= 500:
                        failures.append(f"PATCH {code}.{field.name}={value!r:.30}")
    assert not failures
