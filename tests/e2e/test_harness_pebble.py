import base64
import datetime
import secrets

import josepy as jose
import pytest
import requests
from acme import challenges, client, crypto_util, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

pytestmark = pytest.mark.e2e

NAMES = ["www.example.com", "example.com"]


def _acme_client(pebble) -> tuple[client.ClientV2, jose.JWK]:
    account_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    network = client.ClientNetwork(
        account_key, alg=jose.ES256, user_agent="certlife-harness", verify_ssl=pebble.ca_bundle
    )
    directory = client.ClientV2.get_directory(pebble.directory_url, network)
    return client.ClientV2(directory, network), account_key


def _csr_pem(names) -> bytes:
    key_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return crypto_util.make_csr(key_pem, names)


def test_pebble_management_serves_root_and_intermediate(pebble):
    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    intermediate = x509.load_pem_x509_certificate(pebble.intermediate_pem().encode())
    intermediate.verify_directly_issued_by(root)


def test_http01_issuance_validated_through_bind(pebble):
    acme, account_key = _acme_client(pebble)
    account = acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    assert account.body.status == "valid"

    order = acme.new_order(_csr_pem(NAMES))
    with pebble.http01_server() as token_server:
        for authorization in order.authorizations:
            challenge = next(
                challb
                for challb in authorization.body.challenges
                if isinstance(challb.chall, challenges.HTTP01)
            )
            response, key_authorization = challenge.response_and_validation(account_key)
            token_server.tokens[challenge.chall.encode("token")] = key_authorization
            acme.answer_challenge(challenge, response)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=120)
        order = acme.poll_and_finalize(order, deadline=deadline)
    # Pebble fetched each token itself, having resolved the names through BIND.
    assert len(token_server.requested_paths) >= len(NAMES)

    leaf, intermediate = x509.load_pem_x509_certificates(order.fullchain_pem.encode())[:2]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(NAMES)

    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    assert pebble.cert_status(format(leaf.serial_number, "x"))["Status"] == "Valid"


def test_dns01_wildcard_issuance_reads_txt_from_bind(pebble, bind_dns):
    acme, account_key = _acme_client(pebble)
    acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))

    order = acme.new_order(_csr_pem(["*.example.net"]))
    (authorization,) = order.authorizations
    challenge = next(
        challb
        for challb in authorization.body.challenges
        if isinstance(challb.chall, challenges.DNS01)
    )
    response, validation = challenge.response_and_validation(account_key)
    record_name = challenge.chall.validation_domain_name("example.net")
    bind_dns.add_txt(record_name, validation)
    try:
        acme.answer_challenge(challenge, response)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=120)
        order = acme.poll_and_finalize(order, deadline=deadline)
    finally:
        bind_dns.delete_txt(record_name)

    leaf = x509.load_pem_x509_certificates(order.fullchain_pem.encode())[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["*.example.net"]


def test_factory_starts_pebble_requiring_external_account_binding(pebble_factory):
    hmac_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    eab_pebble = pebble_factory(eab_mac_keys={"kid-1": hmac_key})
    assert pebble_factory(eab_mac_keys={"kid-1": hmac_key}) is eab_pebble

    acme, account_key = _acme_client(eab_pebble)
    assert acme.external_account_required()
    with pytest.raises(messages.Error, match="externalAccountRequired"):
        acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))

    binding = messages.ExternalAccountBinding.from_data(
        account_public_key=account_key.public_key(),
        kid="kid-1",
        hmac_key=hmac_key,
        directory=acme.directory,
    )
    account = acme.new_account(
        messages.NewRegistration.from_data(
            terms_of_service_agreed=True, external_account_binding=binding
        )
    )
    assert account.body.status == "valid"


def test_factory_passes_strict_mode_and_nonce_rejection(pebble_factory):
    rejecting_pebble = pebble_factory(strict=True, nonce_reject=100)
    acme, _ = _acme_client(rejecting_pebble)
    with pytest.raises(messages.Error, match="badNonce"):
        acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))


def test_vendored_pebble_offers_ari_and_the_named_profiles(ari_pebble):
    directory = requests.get(ari_pebble.directory_url, verify=ari_pebble.ca_bundle, timeout=5)
    assert "renewalInfo" in directory.json()
    assert set(directory.json()["meta"]["profiles"]) == {"minutes", "default"}
