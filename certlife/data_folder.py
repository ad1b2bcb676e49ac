"""The embedded default's data folder is owner-only: folders 0700, files 0600.

It holds the SQLite database, the Celery broker and schedule, the generated keys, the
mail outbox and the throttling cache: readable by another local user, any of them would
give away secrets. Every process that loads certlife's settings creates files
owner-only (umask 077), and at start-up what is already there is tightened, for data
folders written by an older version or copied with looser modes.
"""

import os
import stat
import sys
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
OWNER_ONLY_FOLDER = 0o700
OWNER_ONLY_FILE = 0o600


def create_files_owner_only() -> None:
    """Every file and folder this process creates from now on is owner-only."""
    os.umask(OWNER_ONLY_UMASK)


def make_owner_only(folder: Path, entries: list[str]) -> None:
    """Create `folder` if missing, and take group and other permissions from it and from
    its entries that match the glob patterns `entries` (folders with all they hold).

    Only the named entries are touched: CERTLIFE_DATA_DIR may point at a folder that
    also holds other things.
    """
    folder.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
    tighten(folder)
    for pattern in entries:
        for path in folder.glob(pattern):
            tighten(path)
            if path.is_dir() and not path.is_symlink():
                for inner in path.rglob("*"):
                    tighten(inner)


def tighten(path: Path) -> None:
    """A folder becomes 0700; a file loses every permission but the owner's read/write."""
    try:
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            return
        mode = stat.S_IMODE(status.st_mode)
        wanted = OWNER_ONLY_FOLDER if stat.S_ISDIR(status.st_mode) else mode & OWNER_ONLY_FILE
        if mode != wanted:
            path.chmod(wanted)
    except FileNotFoundError:
        pass  # an SQLite -wal or -shm file removed meanwhile by another process
    except OSError as error:
        # Settings load before logging is configured, hence stderr.
        print(f"certlife: could not make {path} owner-only: {error}", file=sys.stderr)
