import pytest

from certlife.audit import record_audit_event

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(api_as, auditor):
    response = api_as(auditor).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/audit-events/" in response.json()["paths"]


def test_listings_paginate_with_page_size_up_to_500(api_as, auditor):
    for number in range(7):
        record_audit_event(f"event.{number}", actor=auditor)
    api = api_as(auditor)
    # Only these: creating the test users is audited too.
    first = api.get("/api/v1/audit-events/", {"action": "event.", "page_size": 3}).json()
    assert first["count"] == 7 and len(first["results"]) == 3 and first["next"]
    third = api.get("/api/v1/audit-events/", {"action": "event.", "page_size": 3, "page": 3}).json()
    assert len(third["results"]) == 1
    assert api.get("/api/v1/audit-events/", {"page": 99}).status_code == 404
    from certlife.api import Pagination

    assert Pagination.max_page_size == 500


def test_bad_filter_input_is_a_400_naming_the_field(api_as, auditor):
    response = api_as(auditor).get("/api/v1/audit-events/", {"since": "yesterday-ish"})
    assert response.status_code == 400
    assert response.json() == {"since": ["Enter a valid date."]}
