"""Route 53 through boto3 against moto in server mode: the change batches sent."""

import pytest

from dns_providers.providers.route53 import Route53Provider

pytestmark = pytest.mark.e2e


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

    fqdn = name
    assert moto.change_batches() == [
        [{"action": "UPSERT", "name": fqdn, "type": "TXT", "values": ['"first"']}],
        [{"action": "UPSERT", "name": fqdn, "type": "TXT", "values": ['"first"', '"second"']}],
        [{"action": "UPSERT", "name": fqdn, "type": "TXT", "values": ['"second"']}],
        [{"action": "DELETE", "name": fqdn, "type": "TXT", "values": ['"second"']}],
    ]


def test_unknown_access_key_is_refused_plainly(route53_under_test):
    credentials = {**route53_under_test.credentials, "access_key_id": "AKIAUNKNOWN0000000"}
    with route53_under_test.checking_credentials(), pytest.raises(Exception) as failure:
        Route53Provider(credentials).test()
    assert failure.value.permanent
    assert "the access key was refused" in failure.value.message
    assert route53_under_test.credentials["secret_access_key"] not in failure.value.message
