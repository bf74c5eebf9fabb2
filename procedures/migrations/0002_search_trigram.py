"""Typo-tolerant search on PostgreSQL: pg_trgm and unaccent, and a GIN trigram index.

The index is created by SQL only on PostgreSQL, so the model state (and `makemigrations --check`)
is the same on SQLite, where search uses plain containment on the folded column.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

INDEX = "procedures_procedure_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON procedures_procedure "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0001_initial"),
    ]

    operations = [
        # Both operations are no-ops on databases other than PostgreSQL.
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
