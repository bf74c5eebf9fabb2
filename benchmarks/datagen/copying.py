"""Bulk writing with PostgreSQL COPY, and the benchmark database's set-up and clean-up."""

import sys
import time

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

import psycopg
from psycopg.types.json import Jsonb


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- COPY --------------------------------------------------------------------------------------


class SchemaChanged(RuntimeError):
    """A required column appeared that this script does not fill: update the generator."""


def _default_factory(field: models.Field):
    """A zero-argument function giving the value of a column the generator does not set."""
    is_json = isinstance(field, models.JSONField)
    if field.has_default() and callable(field.default):
        if is_json:
            return lambda: Jsonb(field.default())
        return field.default
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        now = timezone.now()
        return lambda: now
    value = field.get_default()
    if value is None and not field.null:
        raise SchemaChanged(
            f"{field.model.__name__}.{field.name} needs a value: update benchmarks/generate.py"
        )
    if is_json:
        value = Jsonb(value)
    return lambda: value


def copy_rows(model: type[models.Model], columns: list[str], rows) -> int:
    """COPY `rows` (tuples in the order of `columns`, model attnames) into the model's table.

    Columns the model has and `columns` does not name get the field's default.
    """
    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise SchemaChanged(f"{model.__name__} has no column(s) {unknown}")
    extras = [
        (f.column, _default_factory(f)) for f in meta.concrete_fields if f.attname not in columns
    ]
    json_at = [i for i, c in enumerate(columns) if isinstance(fields[c], models.JSONField)]
    names = [fields[c].column for c in columns] + [column for column, _ in extras]
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({quoted}) FROM STDIN"
    factories = [factory for _, factory in extras]
    count = 0
    with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
        for row in rows:
            if json_at or factories:
                row = list(row)
                for i in json_at:
                    row[i] = Jsonb(row[i])
                row.extend(factory() for factory in factories)
            copy.write_row(row)
            count += 1
    return count


def reset_sequences(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(sql)


# --- Database set-up ---------------------------------------------------------------------------


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://.../bench")
    name = db["NAME"]
    if not name.startswith("bench"):
        sys.exit(
            f"Refusing to empty database {name!r}: the benchmark database's name starts with 'bench'."
        )
    params = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            admin.execute(f'CREATE DATABASE "{name}"')


def empty_tables() -> None:
    """TRUNCATE every table but the ones migrations fill (content types, permissions, groups)."""
    keep = {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
    }
    tables = [
        t for t in connection.introspection.django_table_names(only_existing=True) if t not in keep
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE {} RESTART IDENTITY CASCADE".format(
                ", ".join(connection.ops.quote_name(t) for t in sorted(tables))
            )
        )


def analyze() -> None:
    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
