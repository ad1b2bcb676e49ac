"""The embedded broker of `make run`: kombu's SQLAlchemy transport on a SQLite file,
polled more often than kombu's default.

A database broker is polled, and kombu waits `polling_interval` (1 s) after finding
the queue empty: up to a second added to every step of a certificate. A poll of the
local SQLite file costs well under a millisecond. kombu cannot take the interval as a
transport option here (the SQLAlchemy transport hands every option to
`create_engine`, which refuses it), so this subclass sets it, and certlife.celery
registers it for `sqla+` broker URLs.
"""

from django.conf import settings
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport


class PolledDatabaseTransport(Transport):
    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self.polling_interval = settings.CERTLIFE_BROKER_POLLING_INTERVAL


def use_polled_database_transport() -> None:
    for alias in ("sqla", "sqlalchemy"):
        TRANSPORT_ALIASES[alias] = f"{__name__}:PolledDatabaseTransport"
