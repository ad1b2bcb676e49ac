import re

import jks
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from acme_orders.exports import ExportProblem, build_export
from acme_orders.keys import (
    KeyProblem,
    build_csr_pem,
    check_key_choice,
    generate_private_key_pem,
    load_imported_key,
    public_key_der,
)
from tests.factories import make_certificate_pem, make_key_pem
from tests.key_samples import (
    EXTRAS,
    NOT_ONE_KEY,
    OFFERED,
    REFUSED_SHAPES,
    not_one_key,
    pem_of,
    pem_with_extras,
)

KEY_CHOICES = {
    "RSA 2048": ("RSA", 2048),
    "RSA 3072": ("RSA", 3072),
    "RSA 4096": ("RSA", 4096),
    "EC P-256": ("EC", 256),
    "EC P-384": ("EC", 384),
}


@pytest.mark.parametrize(
    ("algorithm", "size", "signature", "hash_name"),
    [
        ("RSA", 2048, "SHA384withRSA", "sha384"),
        ("EC", 256, "SHA256withECDSA", "sha256"),
        ("EC", 384, "SHA384withECDSA", "sha384"),
    ],
)
def test_csr_carries_every_name_key_and_signature(algorithm, size, signature, hash_name):
    key_pem = generate_private_key_pem(algorithm, size)
    csr = x509.load_pem_x509_csr(
        build_csr_pem(key_pem, ["www.example.com", "example.com"], signature).encode()
    )
    assert csr.is_signature_valid
    assert csr.signature_hash_algorithm.name == hash_name
    assert csr.public_key().key_size == size
    names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["www.example.com", "example.com"]
    assert csr.subject.rfc4514_string() == "CN=www.example.com"


def test_long_first_name_is_left_out_of_the_common_name():
    long_name = "a" * 60 + ".example.com"
    csr = x509.load_pem_x509_csr(
        build_csr_pem(make_key_pem(), [long_name], "SHA256withECDSA").encode()
    )
    assert csr.subject.rfc4514_string() == ""


@pytest.mark.parametrize(
    ("algorithm", "size", "signature", "message"),
    [
        ("RSA", 1024, "SHA256withRSA", "2048, 3072 or 4096"),
        ("EC", 521, "SHA256withECDSA", "P-256 or P-384"),
        ("RSA", 2048, "SHA256withECDSA", "does not go with RSA"),
        ("EC", 256, "SHA512withRSA", "does not go with EC"),
    ],
)
def test_bad_key_choices_are_refused(algorithm, size, signature, message):
    with pytest.raises(KeyProblem, match=message):
        check_key_choice(algorithm, size, signature)


@pytest.mark.parametrize("shape", OFFERED)
def test_every_offered_shape_is_imported_when_declared(shape):
    algorithm, size = KEY_CHOICES[shape]
    assert load_imported_key(pem_of(shape), algorithm=algorithm, size=size).label == shape


@pytest.mark.parametrize(
    ("declared", "pasted"),
    [("RSA 2048", "RSA 4096"), ("EC P-256", "EC P-384"), ("RSA 3072", "EC P-256")],
)
def test_a_key_of_another_shape_than_declared_is_refused(declared, pasted):
    algorithm, size = KEY_CHOICES[declared]
    refusal = f"The key is {pasted} but the request declares {declared}"
    with pytest.raises(KeyProblem, match=refusal):
        load_imported_key(pem_of(pasted), algorithm=algorithm, size=size)


@pytest.mark.parametrize("shape", sorted(REFUSED_SHAPES))
def test_shapes_not_offered_are_refused_naming_the_rule(shape):
    with pytest.raises(KeyProblem, match=re.escape(REFUSED_SHAPES[shape])):
        load_imported_key(pem_of(shape), algorithm="EC", size=256)


@pytest.mark.parametrize("case", sorted(NOT_ONE_KEY))
def test_pastes_that_are_not_one_key_are_refused_naming_the_rule(case):
    with pytest.raises(KeyProblem, match=re.escape(NOT_ONE_KEY[case][1])):
        load_imported_key(not_one_key(case), algorithm="EC", size=256)


@pytest.mark.parametrize("kind", EXTRAS)
def test_real_world_wrappings_of_one_key_are_accepted(kind):
    assert load_imported_key(pem_with_extras(kind), algorithm="EC", size=256).label == "EC P-256"


def test_the_account_key_is_refused_as_certificate_key():
    account_key = make_key_pem()
    with pytest.raises(KeyProblem, match="account key"):
        load_imported_key(
            account_key,
            algorithm="EC",
            size=256,
            forbidden_public_keys=[public_key_der(account_key)],
        )


@pytest.fixture
def issued():
    key_pem = make_key_pem()
    leaf = make_certificate_pem(["www.example.com"], key_pem, days_left=60)
    chain = make_certificate_pem(["intermediate.example.net"], make_key_pem(), days_left=600)
    return {"key": key_pem, "leaf": leaf, "chain": chain}


def test_pem_exports_include_the_key_only_when_asked(issued):
    without = build_export(
        "pem-bundle",
        name="www.example.com",
        certificate_pem=issued["leaf"],
        chain_pem=issued["chain"],
        private_key_pem=None,
    )
    assert without.content.decode() == issued["leaf"] + issued["chain"]
    assert b"PRIVATE KEY" not in without.content
    with_key = build_export(
        "pem",
        name="*.example.com",
        certificate_pem=issued["leaf"],
        chain_pem="",
        private_key_pem=issued["key"],
    )
    assert with_key.filename == "wildcard.example.com.pem"
    assert issued["key"].encode() in with_key.content


def test_pkcs12_opens_with_the_password(issued):
    exported = build_export(
        "pkcs12",
        name="www.example.com",
        certificate_pem=issued["leaf"],
        chain_pem=issued["chain"],
        private_key_pem=issued["key"],
        password="store-pass",
    )
    key, leaf, chain = pkcs12.load_key_and_certificates(exported.content, b"store-pass")
    assert leaf.public_bytes(serialization.Encoding.PEM).decode() == issued["leaf"]
    assert len(chain) == 1
    assert key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == public_key_der(issued["key"])
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(exported.content, b"wrong")


def test_jks_opens_with_the_password(issued):
    exported = build_export(
        "jks",
        name="www.example.com",
        certificate_pem=issued["leaf"],
        chain_pem=issued["chain"],
        private_key_pem=issued["key"],
        password="store-pass",
    )
    store = jks.KeyStore.loads(exported.content, "store-pass")
    entry = store.private_keys["www.example.com"]
    assert len(entry.cert_chain) == 2
    leaf = x509.load_der_x509_certificate(entry.cert_chain[0][1])
    assert leaf.fingerprint(hashes.SHA256()) == x509.load_pem_x509_certificate(
        issued["leaf"].encode()
    ).fingerprint(hashes.SHA256())
    without_key = build_export(
        "jks",
        name="www.example.com",
        certificate_pem=issued["leaf"],
        chain_pem=issued["chain"],
        private_key_pem=None,
        password="store-pass",
    )
    assert not jks.KeyStore.loads(without_key.content, "store-pass").private_keys


def test_keystores_need_a_password(issued):
    with pytest.raises(ExportProblem, match="password is required"):
        build_export(
            "pkcs12",
            name="x.example.com",
            certificate_pem=issued["leaf"],
            chain_pem="",
            private_key_pem=None,
        )
