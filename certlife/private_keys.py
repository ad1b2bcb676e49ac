"""Private keys that people paste: a certificate request's imported key (spec R5) and
an imported ACME account key (spec A5).

`OFFERED_KEY_SHAPES` is the one list of key shapes certlife offers; it governs keys it
generates, keys it accepts, and the key sizes the request form offers.
`load_private_key_pem` is the one reading of a pasted PEM: bounded in length before
anything parses it, exactly one unencrypted private key, of an offered shape.

It lives here, not in acme_orders, because accounts uses it too and accounts does not
depend on acme_orders.
"""

import re
from dataclasses import dataclass
from typing import cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

# The values of acme_orders.choices.KeyAlgorithm.
RSA = "RSA"
EC = "EC"
# Boulder refuses RSA keys with any other public exponent, for accounts and certificates.
RSA_PUBLIC_EXPONENT = 65537
# An RSA 4096 key is about 3,300 characters of PEM; the bound leaves room for CRLF line
# ends and the "Bag Attributes" lines openssl writes before a key, and refuses a huge
# paste before anything parses it.
MAX_PEM_LENGTH = 16_384
PEM_BEGIN_LINE = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----[ \t\r]*$", re.MULTILINE)
# `openssl ecparam -genkey` writes this block before the key itself.
EC_PARAMETERS_LABEL = "EC PARAMETERS"
OTHER_KEY_KINDS = {
    ed25519.Ed25519PrivateKey: "Ed25519",
    ed448.Ed448PrivateKey: "Ed448",
    dsa.DSAPrivateKey: "DSA",
    x25519.X25519PrivateKey: "X25519",
    x448.X448PrivateKey: "X448",
}


@dataclass(frozen=True)
class KeyShape:
    """A key's algorithm and size: RSA modulus bits, or the EC curve's bits."""

    algorithm: str
    size: int

    @property
    def label(self) -> str:
        return f"RSA {self.size}" if self.algorithm == RSA else f"EC P-{self.size}"


OFFERED_KEY_SHAPES = (
    KeyShape(RSA, 2048),
    KeyShape(RSA, 3072),
    KeyShape(RSA, 4096),
    KeyShape(EC, 256),
    KeyShape(EC, 384),
)
EC_CURVES: dict[int, type[ec.EllipticCurve]] = {256: ec.SECP256R1, 384: ec.SECP384R1}
OFFERED_RSA_SIZES = tuple(shape.size for shape in OFFERED_KEY_SHAPES if shape.algorithm == RSA)


def one_of(items) -> str:
    """`a, b or c`."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


OFFERED_TEXT = one_of(shape.label for shape in OFFERED_KEY_SHAPES)


class PrivateKeyProblem(ValueError):
    """A pasted key that cannot be used; the message says which rule it breaks and never
    quotes the key."""


def key_shape(key) -> KeyShape:
    """The shape of a private key, or PrivateKeyProblem when certlife does not offer it."""
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size not in OFFERED_RSA_SIZES:
            raise PrivateKeyProblem(
                f"RSA keys must be {one_of(OFFERED_RSA_SIZES)} bits; this one is {key.key_size}."
            )
        exponent = key.public_key().public_numbers().e
        if exponent != RSA_PUBLIC_EXPONENT:
            raise PrivateKeyProblem(
                f"The RSA public exponent must be {RSA_PUBLIC_EXPONENT} (CAs refuse others); "
                f"this key's is {exponent}."
            )
        return KeyShape(RSA, key.key_size)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = key.curve.key_size
        if not isinstance(key.curve, EC_CURVES.get(size, ())):
            raise PrivateKeyProblem(
                f"EC keys must be on {one_of(f'P-{size}' for size in EC_CURVES)}; "
                f"this one is on {key.curve.name}."
            )
        return KeyShape(EC, size)
    kind = next(
        (name for kind, name in OTHER_KEY_KINDS.items() if isinstance(key, kind)),
        type(key).__name__,
    )
    raise PrivateKeyProblem(f"{kind} keys are not offered; use {OFFERED_TEXT}.")


def _check_pem_text(text: str) -> None:
    if not isinstance(text, str):
        raise PrivateKeyProblem("Paste the key as PEM text.")
    if len(text) > MAX_PEM_LENGTH:
        raise PrivateKeyProblem(
            f"At most {MAX_PEM_LENGTH} characters: a PEM private key of an offered shape "
            "is much shorter."
        )
    if not text.isascii():
        raise PrivateKeyProblem("A PEM key is plain ASCII text; this has other characters.")
    labels = [
        label for label in PEM_BEGIN_LINE.findall(text) if label.strip() != EC_PARAMETERS_LABEL
    ]
    if not labels:
        raise PrivateKeyProblem(
            "This is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- line)."
        )
    if len(labels) > 1:
        raise PrivateKeyProblem(
            f"Paste exactly one private key; this text holds {len(labels)} PEM blocks."
        )
    label = labels[0].strip()
    if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in text:
        raise PrivateKeyProblem("The key is encrypted; paste it without a passphrase.")
    if label == "OPENSSH PRIVATE KEY":
        raise PrivateKeyProblem(
            "This is an OpenSSH key; paste a PEM key (ssh-keygen -p -m PEM converts it)."
        )
    if not label.endswith("PRIVATE KEY"):
        raise PrivateKeyProblem(f"This PEM holds a {label.lower()}, not a private key.")


def load_private_key_pem(text: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """The one private key in the PEM `text`, of an offered shape; PrivateKeyProblem
    saying what is wrong otherwise (too long, not ASCII, no key or several, a
    certificate or public key, encrypted, unreadable, a shape not offered)."""
    _check_pem_text(text)
    pem = text.encode("ascii")
    try:
        # RSA consistency checks cost seconds on a huge key: skipped until the size is known.
        key = serialization.load_pem_private_key(
            pem, password=None, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        raise PrivateKeyProblem("The key is encrypted; paste it without a passphrase.") from None
    except (ValueError, UnsupportedAlgorithm):
        raise PrivateKeyProblem("This is not a readable PEM private key.") from None
    key_shape(key)  # refuses every kind but RSA and EC, and sizes not offered
    if isinstance(key, rsa.RSAPrivateKey):
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError:
            raise PrivateKeyProblem("This RSA key is damaged: its numbers do not agree.") from None
    return cast(rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, key)
