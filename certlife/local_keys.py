"""Keys of the embedded default, created once in the data folder with mode 0600."""

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def load_or_create_key_file(path: Path, *, kind: str) -> str:
    """Return the key stored at `path`, creating it (0600) on first use.

    `kind` is "fernet" for a secret-encryption key or "django" for SECRET_KEY.
    """
    if path.exists():
        return path.read_text().strip()
    key = Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(key + "\n")
    # Settings load before logging is configured, hence stderr. The key itself is never shown.
    print(f"certlife: created a new {kind} key in {path} (mode 0600); back it up.", file=sys.stderr)
    return key
