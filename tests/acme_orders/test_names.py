"""Boulder's name rules (docs/acme-notes.md), refused before any order exists."""

import pytest

from acme_orders.names import InvalidDomainNames, normalize_domains


def refusal(names, challenge_type="dns-01", **options) -> str:
    with pytest.raises(InvalidDomainNames) as raised:
        normalize_domains(names, challenge_type=challenge_type, **options)
    return str(raised.value)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("192.0.2.1", "IP addresses are not allowed"),
        ("2001:db8::1", "IP addresses are not allowed"),
        ("com", "between 2 and 10 labels"),
        ("a.b.c.d.e.f.g.h.i.example.com", "between 2 and 10 labels"),
        ("co.uk", "is a public suffix itself"),
        ("*.co.uk", "is a public suffix itself"),
        ("*.com", "between 2 and 10 labels"),
        ("printer.local", "reserved name"),
        ("db.internal", "reserved name"),
        ("site.test", "reserved name"),
        ("router.home.arpa", "reserved name"),
        ("intranet.corp", "does not end in a public suffix"),
        ("nas.lan", "does not end in a public suffix"),
        ("under_score.example.com", "only letters, digits and hyphens"),
        ("-lead.example.com", "starts or ends with a hyphen"),
        ("trail-.example.com", "starts or ends with a hyphen"),
        ("a..example.com", "empty label"),
        ("x" * 64 + ".example.com", "longer than 63"),
        (".".join(["a" * 60] * 5) + ".com", "longer than 253"),
        ("ab--cd.example.com", "not punycode"),
        ("xn--zz.example.com", "invalid punycode"),
        ("a.*.example.com", "whole leftmost label"),
        ("*a.example.com", "whole leftmost label"),
        ("*.*.example.com", "at most one wildcard"),
    ],
)
def test_bad_names_are_refused_naming_the_rule(name, rule):
    message = refusal([name])
    assert rule in message
    assert name.split(".")[0][:10] in message


def test_wildcard_needs_dns_01():
    assert "needs the DNS-01 challenge" in refusal(["*.example.com"], challenge_type="http-01")
    assert normalize_domains(["*.example.com"], challenge_type="dns-01") == ["*.example.com"]


def test_idn_becomes_punycode_and_case_and_duplicates_fold():
    names = normalize_domains(
        ["Bücher.Example.COM", "www.example.com.", "WWW.EXAMPLE.COM", "xn--bcher-kva.example.com"],
        challenge_type="http-01",
    )
    assert names == ["xn--bcher-kva.example.com", "www.example.com"]


def test_public_names_under_private_suffixes_are_allowed():
    assert normalize_domains(["mine.github.io"], challenge_type="http-01") == ["mine.github.io"]


def test_name_count_limits_follow_the_profile():
    hundred = [f"n{i}.example.com" for i in range(100)]
    assert len(normalize_domains(hundred, challenge_type="http-01")) == 100
    assert "At most 100 names" in refusal([*hundred, "n100.example.com"], challenge_type="http-01")
    assert "At most 25 names" in refusal(hundred[:26], challenge_type="http-01", max_names=25)


def test_every_bad_name_is_reported_at_once():
    message = refusal(["ok.example.com", "bad_.example.com", "1.2.3.4"])
    assert "bad_.example.com" in message and "1.2.3.4" in message


def test_empty_input_is_refused():
    assert "at least one domain name" in refusal(["", "  "])


def test_ip_allowed_only_when_the_profile_allows_it():
    assert normalize_domains(["192.0.2.1"], challenge_type="http-01", allow_ip=True) == [
        "192.0.2.1"
    ]
