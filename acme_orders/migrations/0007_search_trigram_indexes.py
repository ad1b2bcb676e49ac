"""Trigram indexes for the "part of a name" searches of the certificate and request
lists (`icontains`, which Django writes as UPPER(column::text) LIKE UPPER('%...%')).
Without them a search reads every row: 17 times slower at 100,000 certificates than at
1,000 (bench/scale.py).

PostgreSQL only, and only where the pg_trgm extension can be created (it is trusted:
the database's owner may create it). Elsewhere, or when it cannot be created, the
searches work as before, reading every row, and the migration says so."""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "certificate_name_trgm": ("acme_orders_certificate", "common_name"),
    "certificate_domains_trgm": ("acme_orders_certificate", "domains"),
    "request_domains_trgm": ("acme_orders_certificaterequest", "domains"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:
        logger.warning("No trigram indexes for name searches (pg_trgm: %s)", error)
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("acme_orders", "0006_list_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
