"""GoDaddy against the fake API: the PUT replaces the whole TXT set, so ours must be
written back beside the other values; records are mirrored into the harness BIND."""

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers.godaddy import GoDaddyProvider

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
