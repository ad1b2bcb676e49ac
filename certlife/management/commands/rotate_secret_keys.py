from django.core.management.base import BaseCommand
from django.db import connection, transaction

from certlife.audit import current_source, record_audit_event
from certlife.encryption import encrypted_fields, reencrypt_text


def _reencrypt_column(model, field) -> int:
    """Re-encrypt one column in SQL: the field itself would decrypt on read and
    encrypt again on write, which is not what rotation means."""
    quote = connection.ops.quote_name
    table, column, pk = (
        quote(model._meta.db_table),
        quote(field.column),
        quote(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        rows = cursor.fetchall()
        for row_pk, stored in rows:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                [reencrypt_text(stored), row_pk],
            )
    return len(rows)


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of CERTLIFE_SECRET_KEYS. "
        "Afterwards the older keys can be removed from the list."
    )

    def handle(self, *args, **options):
        current_source.set("cli")
        with transaction.atomic():
            total = sum(_reencrypt_column(model, field) for model, field in encrypted_fields())
            record_audit_event("secrets.rotate", actor=None, detail={"secrets": total})
        self.stdout.write(f"Re-encrypted {total} secret(s) with the newest key.")
