"""``close.sql.duck._copy_out``: DuckDB's rows into the database as CSV through COPY (PostgreSQL) or in
batches (SQLite). The values that CSV can confuse come back as they went: NULL and the empty string apart,
commas, quotes, line breaks, a decomposed (NFD) Vietnamese name, JSON text, 2^63 − 1, year 0001, and the
rows in the select's order."""
from __future__ import annotations

import pytest
from django.db import connection

duckdb = pytest.importorskip("duckdb")

from sicollect.close.sql.duck import _copy_out  # noqa: E402

ROWS = [
    (1, None, "", '{"base": 1, "note": "a,\\"b\\""}', 9223372036854775807, "0001-01-01"),
    (2, "Nguyễn", 'x,"y"\nz', None, -9223372036854775807, None),
    (3, "Nguye\u0302\u0303n", "\t;=HYPERLINK(\"u\")", "{}", 0, "2025-12-31"),
]


@pytest.mark.django_db
def test_awkward_values_come_back_as_they_went_in_the_selects_order() -> None:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE src (k BIGINT, a VARCHAR, b VARCHAR, j VARCHAR, n BIGINT, d DATE)")
    con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?)", [list(r) for r in ROWS])
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE dst (k BIGINT, a TEXT, b TEXT, j TEXT, n BIGINT, d DATE)")
        day = "CAST(d AS VARCHAR)" if connection.vendor == "sqlite" else "d"
        _copy_out(con, cur, f"SELECT k, a, b, j, n, {day} FROM src ORDER BY k DESC", "dst", 6)
        cur.execute("SELECT k, a, b, j, n, d FROM dst")
        got = [tuple(str(v) if k == 5 and v is not None else v for k, v in enumerate(row)) for row in cur.fetchall()]
    assert got == [tuple(r) for r in reversed(ROWS)]
