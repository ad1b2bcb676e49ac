import base64
import secrets

import dns.message
import dns.rcode
import dns.tsig
import dns.update
import pytest

pytestmark = pytest.mark.e2e

REFUSALS = {dns.rcode.REFUSED, dns.rcode.NOTAUTH}


def test_zones_answer_apex_wildcard_and_nameserver(bind_dns):
    for zone in bind_dns.zones:
        assert bind_dns.query(zone, "A") == ["127.0.0.1"]
        assert bind_dns.query(f"anything.{zone}", "A") == ["127.0.0.1"]
        assert bind_dns.query(zone, "NS") == [f"ns1.{zone}."]


def test_signed_update_adds_and_deletes_txt(bind_dns):
    name = "_acme-challenge.signed.example.com"
    bind_dns.add_txt(name, "first")
    bind_dns.add_txt(name, "second")
    assert sorted(bind_dns.query(name, "TXT")) == ["first", "second"]

    bind_dns.delete_txt(name, "first")
    assert bind_dns.query(name, "TXT") == ["second"]
    bind_dns.delete_txt(name)
    assert bind_dns.query(name, "TXT") == []


def test_signed_update_adds_cname_in_second_zone(bind_dns):
    bind_dns.add_record("_acme-challenge.alias.example.com", "CNAME", "target.example.net.")
    assert bind_dns.query("_acme-challenge.alias.example.com", "CNAME") == ["target.example.net."]


def _refused(bind_dns, update) -> bool:
    try:
        return bind_dns.send(update) in REFUSALS
    except dns.tsig.PeerError:
        # BIND answers NOTAUTH with a TSIG error (BADSIG/BADKEY) that dnspython raises.
        return True


def test_update_with_wrong_secret_is_refused(bind_dns):
    name = "_acme-challenge.wrong-secret.example.com"
    wrong_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    update = bind_dns.new_update("example.com", secret=wrong_secret)
    update.add(name, 60, "TXT", '"nope"')
    assert _refused(bind_dns, update)
    assert bind_dns.query(name, "TXT") == []


def test_update_with_unknown_key_name_is_refused(bind_dns):
    name = "_acme-challenge.wrong-key.example.com"
    update = bind_dns.new_update(
        "example.com", key_name="someone-else", secret=bind_dns.tsig_secret
    )
    update.add(name, 60, "TXT", '"nope"')
    assert _refused(bind_dns, update)
    assert bind_dns.query(name, "TXT") == []


def test_unsigned_update_is_refused(bind_dns):
    name = "_acme-challenge.unsigned.example.com"
    update = dns.update.UpdateMessage("example.com")
    update.add(name, 60, "TXT", '"nope"')
    assert bind_dns.send(update) in REFUSALS
    assert bind_dns.query(name, "TXT") == []


def test_signed_update_outside_policy_is_refused(bind_dns):
    update = bind_dns.new_update("example.com")
    update.add("policy.example.com", 60, "A", "192.0.2.1")
    assert bind_dns.send(update) in REFUSALS
    assert bind_dns.query("policy.example.com", "A") == ["127.0.0.1"]  # still the wildcard
