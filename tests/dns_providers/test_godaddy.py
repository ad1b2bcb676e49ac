"""GoDaddy against the fake API: the PUT replaces the whole TXT set, so ours must be
written back beside the other values, and checked again after a concurrent writer may
have undone it; records are mirrored into the harness BIND."""

import itertools

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers import godaddy
from dns_providers.providers.godaddy import GoDaddyProvider

from .threads import run_at_once

pytestmark = pytest.mark.e2e


def test_put_keeps_the_other_value_and_delete_clears(godaddy_under_test, bind_dns):
    fake = godaddy_under_test.fake
    provider = GoDaddyProvider(godaddy_under_test.credentials)
    name = godaddy_under_test.record_name("example.net")
    relative = name.removesuffix(".example.net")

    provider.add_txt(name, "one")
    provider.add_txt(name, "two")
    assert sorted(bind_dns.query(name, "TXT")) == ["one", "two"]
    provider.remove_txt(name, "one")
    provider.remove_txt(name, "two")

    writes = [(r.method, r.path, r.json() if r.body else None) for r in fake.requests
              if r.method in ("PUT", "DELETE")]  # fmt: skip
    path = f"/v1/domains/example.net/records/TXT/{relative}"
    assert writes == [
        ("PUT", path, [{"data": "one", "ttl": 600}]),
        ("PUT", path, [{"data": "one", "ttl": 600}, {"data": "two", "ttl": 600}]),
        ("PUT", path, [{"data": "two", "ttl": 600}]),
        ("DELETE", path, None),
    ]
    assert bind_dns.query(name, "TXT") == []


def test_server_error_retried_then_permanent_error_is_not(godaddy_under_test):
    fake = godaddy_under_test.fake
    fake.fail_next(500)
    assert GoDaddyProvider(godaddy_under_test.credentials).test()
    assert len(fake.requests) == 2

    with pytest.raises(DnsProviderError) as failure:
        GoDaddyProvider(godaddy_under_test.bad_credentials).test()
    assert failure.value.permanent
    assert "UNABLE_TO_AUTHENTICATE" in failure.value.message
    assert len(fake.requests) == 3


def test_concurrent_writers_at_one_name_keep_every_value(godaddy_under_test, bind_dns, monkeypatch):
    monkeypatch.setattr(godaddy, "SETTLE_SECONDS", 1.5)  # a first wait of 0.75 s at least
    fake = godaddy_under_test.fake
    name = godaddy_under_test.record_name("example.net")

    def provider():  # one per thread, as each Celery task builds its own
        return GoDaddyProvider(godaddy_under_test.credentials)

    # Both read the empty list; the second PUT lands 0.25 s after the first and undoes it.
    fake.line_up(2, write_gap_seconds=0.25)
    run_at_once(
        lambda: provider().add_txt(name, "wildcard"), lambda: provider().add_txt(name, "base")
    )
    assert fake.txt_values(name) == ["base", "wildcard"]
    assert sorted(bind_dns.query(name, "TXT")) == ["base", "wildcard"]

    fake.line_up(2, write_gap_seconds=0.25)
    run_at_once(
        lambda: provider().remove_txt(name, "wildcard"), lambda: provider().add_txt(name, "next")
    )
    assert fake.txt_values(name) == ["base", "next"]
    assert sorted(bind_dns.query(name, "TXT")) == ["base", "next"]


def test_two_removals_of_the_last_value_at_once_are_quiet(godaddy_under_test):
    fake = godaddy_under_test.fake
    name = godaddy_under_test.record_name("example.net")
    GoDaddyProvider(godaddy_under_test.credentials).add_txt(name, "only")

    fake.line_up(2)  # both read ["only"], both DELETE; the second finds nothing left
    run_at_once(
        *[lambda: GoDaddyProvider(godaddy_under_test.credentials).remove_txt(name, "only")] * 2
    )

    assert fake.txt_values(name) == []
    assert [r.method for r in fake.requests if r.method == "DELETE"] == ["DELETE", "DELETE"]


def test_a_list_that_keeps_changing_fails_as_temporary(godaddy_under_test):
    fake = godaddy_under_test.fake
    name = godaddy_under_test.record_name("example.net")
    their_values = (f"theirs-{number}" for number in itertools.count())
    # Another writer that read the list before our PUT lands its own right after it.
    fake.after_each_write = lambda zone, relative: fake.put_txt(
        zone, relative, [next(their_values)]
    )

    with pytest.raises(DnsProviderError) as failure:
        GoDaddyProvider(godaddy_under_test.credentials).add_txt(name, "ours")

    assert not failure.value.permanent
    assert f"the TXT records at {name} kept changing" in failure.value.message
    assert len([r for r in fake.requests if r.method == "PUT"]) == 4  # godaddy.WRITE_ATTEMPTS
