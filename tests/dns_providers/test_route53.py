"""Route 53 through boto3 against moto in server mode (with Route 53's change-batch
rules): the change batches sent, and writers racing at one name."""

import itertools

import pytest

from dns_providers.errors import DnsProviderError
from dns_providers.providers.route53 import Route53Provider

from .fakes.route53 import Route53Forwarder
from .threads import run_at_once

pytestmark = pytest.mark.e2e


def batch(*changes):
    return [
        {"action": action, "name": name, "type": "TXT", "values": [f'"{v}"' for v in values]}
        for action, name, values in changes
    ]


@pytest.fixture
def route53_forwarder(route53_under_test, dns_api_endpoints):
    with Route53Forwarder(route53_under_test.fake) as forwarder:
        dns_api_endpoints["route53"] = forwarder.url
        yield forwarder


def test_change_batches_keep_the_other_value(route53_under_test):
    moto = route53_under_test.fake
    provider = Route53Provider(route53_under_test.credentials)
    name = route53_under_test.record_name("example.net")
    moto.start_recording()

    provider.add_txt(name, "first")
    provider.add_txt(name, "second")
    provider.remove_txt(name, "first")
    provider.remove_txt(name, "first")
    provider.remove_txt(name, "second")

    # Each write names the set it replaces exactly, so Route 53 refuses it if the set
    # changed since it was read.
    assert moto.change_batches() == [
        batch(("CREATE", name, ["first"])),
        batch(("DELETE", name, ["first"]), ("CREATE", name, ["first", "second"])),
        batch(("DELETE", name, ["first", "second"]), ("CREATE", name, ["second"])),
        batch(("DELETE", name, ["second"])),
    ]


def test_concurrent_writers_at_one_name_keep_every_value(route53_under_test, route53_forwarder):
    moto = route53_under_test.fake
    name = route53_under_test.record_name("example.net")

    def provider():  # one per thread, as each Celery task builds its own
        return Route53Provider(route53_under_test.credentials)

    moto.start_recording()
    route53_forwarder.line_up_reads(2)  # both read the set before either writes
    run_at_once(
        lambda: provider().add_txt(name, "wildcard"), lambda: provider().add_txt(name, "base")
    )
    assert route53_under_test.published(name) == ["base", "wildcard"]
    first, refused, retried = moto.change_batches()
    assert first[0]["action"] == refused[0]["action"] == "CREATE"  # the second is refused
    assert [change["action"] for change in retried] == ["DELETE", "CREATE"]

    route53_forwarder.line_up_reads(2)
    run_at_once(
        lambda: provider().remove_txt(name, "wildcard"), lambda: provider().add_txt(name, "next")
    )
    assert route53_under_test.published(name) == ["base", "next"]


def test_a_set_that_keeps_changing_fails_as_temporary(route53_under_test, route53_forwarder):
    moto = route53_under_test.fake
    name = route53_under_test.record_name("example.net")
    provider = Route53Provider(route53_under_test.credentials)
    provider.add_txt(name, "ours")
    zone_id = provider._zone_id(name)
    their_values = (f'"theirs-{number}"' for number in itertools.count())

    def someone_else_writes():  # just before each of our batches arrives
        moto.client().change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": name, "Type": "TXT", "TTL": 60,
                "ResourceRecords": [{"Value": '"ours"'}, {"Value": next(their_values)}],
            }}]},
        )  # fmt: skip

    route53_forwarder.before_each_batch = someone_else_writes
    moto.start_recording()
    with pytest.raises(DnsProviderError) as failure:
        provider.add_txt(name, "second")

    assert not failure.value.permanent
    assert f"the TXT record set {name} kept changing" in failure.value.message
    assert "InvalidChangeBatch" in failure.value.message
    ours = [b for b in moto.change_batches() if b[-1]["values"][-1:] == ['"second"']]
    assert len(ours) == 4  # route53.WRITE_ATTEMPTS, then it gives up


def test_unknown_access_key_is_refused_plainly(route53_under_test):
    credentials = {**route53_under_test.credentials, "access_key_id": "AKIAUNKNOWN0000000"}
    with route53_under_test.checking_credentials(), pytest.raises(Exception) as failure:
        Route53Provider(credentials).test()
    assert failure.value.permanent
    assert "the access key was refused" in failure.value.message
    assert route53_under_test.credentials["secret_access_key"] not in failure.value.message
