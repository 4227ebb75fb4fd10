"""Figures kept in Django's cache while the data they read is unchanged.

Some figures scan whole tables (the KPI report's participant counts read every participation: about a
second on the province) and officers open the pages that show them all day. :func:`cached` keeps a
figure under a key made of a name and a *fingerprint* of the data it reads: a few cheap aggregates
(the highest id and the row count of each table read) that change with any new or deleted row, so the
next request computes afresh. Ten minutes bound what a fingerprint cannot see (a value corrected in
place on an existing row).

The cache is Django's default one, per server process (``settings.CACHES``: LocMem), on purpose: reading
never writes to the database, and a shared cache (the ``shared`` database cache, or files) would make every
read that fills it a write. It is not needed for the pages opened all day: at a closed month end (their
default day) the KPI report and the dashboard read the figures the close kept (docs/domain.md, "Figures
of closed months"); only other days (provisional figures) are computed and kept here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import Model

T = TypeVar("T")

SECONDS = 600


def cached(name: str, fingerprint: Any, compute: Callable[[], T], timeout: int = SECONDS) -> T:
    """``compute()``, kept ``timeout`` seconds under ``name`` while ``fingerprint`` is unchanged."""
    key = f"web:{name}:{hashlib.sha256(repr(fingerprint).encode()).hexdigest()}"  # stable across processes
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value


def table_fingerprint(*models: type[Model], extra: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """(highest id, rows) of each model's table, and the value of each ``extra`` SQL expression (e.g.
    ``SELECT SUM(office_id) FROM registry_unit``), in one query: changes with any row added or deleted."""
    parts = []
    for model in models:
        table = connection.ops.quote_name(model._meta.db_table)
        parts += [f"(SELECT MAX(id) FROM {table})", f"(SELECT COUNT(*) FROM {table})"]
    parts += [f"({sql})" for sql in extra]
    with connection.cursor() as cur:
        cur.execute("SELECT " + ", ".join(parts))
        return tuple(cur.fetchone())
