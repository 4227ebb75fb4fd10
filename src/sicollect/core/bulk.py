"""Updating many rows at once, each with its own values.

Django's ``bulk_update`` writes one ``CASE WHEN id = … THEN …`` per field and row: for thousands of
rows most of the time goes into building and parsing those expressions (the monthly close updates
every open arrears case: 4,706 on the province demo, ~10 s). :func:`update_rows` sends the values to a
temporary table with ``executemany`` and applies them with one ``UPDATE … FROM`` (SQLite ≥ 3.33,
PostgreSQL), in the caller's transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of ``objs`` (saved instances of ``model``) to their rows; returns the rows given."""
    if not objs:
        return 0
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    concrete = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    tmp = connection.ops.quote_name(f"bulk_{meta.db_table}")
    cols = [pk, *concrete]
    defs = ", ".join(f"{connection.ops.quote_name(f.column)} {f.db_type(connection) or 'text'}" for f in cols)
    names = ", ".join(connection.ops.quote_name(f.column) for f in cols)
    marks = ", ".join(["%s"] * len(cols))
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = t.{connection.ops.quote_name(f.column)}"
                     for f in concrete)
    rows: list[list[Any]] = [
        [f.get_db_prep_value(getattr(obj, f.attname), connection, prepared=False) for f in cols] for obj in objs]
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {tmp}")
        cur.execute(f"CREATE TEMP TABLE {tmp} ({defs})")
        try:
            cur.executemany(f"INSERT INTO {tmp} ({names}) VALUES ({marks})", rows)
            cur.execute(f"UPDATE {table} SET {sets} FROM {tmp} t "
                        f"WHERE {table}.{connection.ops.quote_name(pk.column)} = t.{connection.ops.quote_name(pk.column)}")
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {tmp}")
    return len(objs)
