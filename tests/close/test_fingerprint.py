"""The fingerprint of the closed months' inputs, taken by PostgreSQL or by DuckDB over its copies.

A resumed close trusts its saved state only while the fingerprint of what the closed months read is the one
saved with it. PostgreSQL and DuckDB sum the same integer checksums of the rows (``engine.row_checksums``), so
either computes the fingerprint the other saved; the DuckDB close takes it over the tables it loads anyway.
"""
from __future__ import annotations

from datetime import date

import duckdb
import pytest
from django.db import connection

from sicollect.close.sql.dialect import DuckDialect, dialect_for
from sicollect.close.sql.duck import INPUTS, DuckSession, DuckTables
from sicollect.close.sql.engine import FINGERPRINT_QUERIES, checksum_sums_sql, inputs_fingerprints, row_checksums
from sicollect.close.sql.tables import SqlTables
from sicollect.core.months import Month
from sicollect.registry.models import Participation
from sicollect.rules.book import load_rulebook

from .test_close_sql import demo_unposted  # noqa: F401 (a fixture)

COLUMNS = FINGERPRINT_QUERIES[0][0]


def sums(rows: list[tuple[object, ...]]) -> tuple[int, int, int]:
    """The count and both sums of ``row_checksums`` over ``rows`` (participation × unit rows), in DuckDB."""
    con = duckdb.connect()
    con.execute("CREATE TABLE p (id BIGINT, unit_id BIGINT, person_id BIGINT, from_month DATE, to_month DATE, "
                "wage BIGINT, si BOOLEAN, hi BOOLEAN, ui BOOLEAN, oadi BOOLEAN, declared_on DATE, retro_interest BOOLEAN)")
    con.execute("CREATE TABLE u (region INTEGER, payment_cycle INTEGER, oadi_low_risk BOOLEAN)")
    con.execute("INSERT INTO u VALUES (1, 1, false)")
    if rows:
        con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    a, b = row_checksums(COLUMNS)
    count, x, y = con.execute(f"SELECT COUNT(*), SUM({a}), SUM({b}) FROM p, u").fetchone()
    return count, int(x or 0), int(y or 0)


ROW_A = (1, 7, 70, date(2025, 1, 1), None, 8_000_000, True, True, True, True, None, False)
ROW_B = (2, 7, 71, date(2025, 3, 1), date(2025, 9, 1), 12_500_000, True, True, False, True, date(2025, 4, 2), True)


def test_the_checksums_see_a_value_moved_between_rows_but_not_the_rows_order() -> None:
    """Two participations of one unit: the wages 8,000,000 and 12,500,000 swapped between them change both
    sums (a plain sum of each column would not see it); the rows in the other order do not; a NULL end
    month is not the end month 1970-01-01; a wage of 2^62 is summed without overflow."""
    base = sums([ROW_A, ROW_B])
    assert base == sums([ROW_B, ROW_A])
    swapped = sums([ROW_A[:5] + (ROW_B[5],) + ROW_A[6:], ROW_B[:5] + (ROW_A[5],) + ROW_B[6:]])
    assert swapped[0] == 2 and swapped[1] != base[1] and swapped[2] != base[2]
    ended = sums([ROW_A[:4] + (date(1970, 1, 1),) + ROW_A[5:], ROW_B])
    assert ended[1:] != base[1:]
    assert sums([ROW_A[:5] + (2**62,) + ROW_A[6:]])[0] == 1
    assert all(0 <= v < 2 * 2**31 for v in sums([ROW_A])[1:])


def canonical_sums_sql(rows: str, conds: list[str]) -> str:
    """The sums as ``row_checksums`` spells them, each in its own SUM (the query the fingerprints were taken
    with until the one-pass ``checksum_sums_sql``)."""
    a, b = row_checksums(COLUMNS)
    parts = "".join(f"COUNT(*) FILTER (WHERE {c}), SUM({a}) FILTER (WHERE {c}), SUM({b}) FILTER (WHERE {c}), "
                    for c in conds)
    return f"SELECT {parts}COUNT(*), SUM({a}), SUM({b}) FROM {rows}"


def test_the_one_pass_sums_are_the_checksums_sums() -> None:
    """``checksum_sums_sql`` (each row's polynomials once, squared as h (h + 3)) gives the numbers of the
    checksums as ``row_checksums`` spells them, for each month's rows and for all, so a state fingerprinted
    before it still holds: rows A and B, A with a wage of 2^62 and with a NULL declaration day, B declared
    4 Apr 2025; the rows declared by 31 Mar 2025 are A's."""
    con = duckdb.connect()
    con.execute("CREATE TABLE p (id BIGINT, unit_id BIGINT, person_id BIGINT, from_month DATE, to_month DATE, "
                "wage BIGINT, si BOOLEAN, hi BOOLEAN, ui BOOLEAN, oadi BOOLEAN, declared_on DATE, retro_interest BOOLEAN)")
    con.execute("CREATE TABLE u (region INTEGER, payment_cycle INTEGER, oadi_low_risk BOOLEAN)")
    con.execute("INSERT INTO u VALUES (4, 3, true)")
    rows = [ROW_A, ROW_B, (3,) + ROW_A[1:5] + (2**62,) + ROW_A[6:]]
    con.executemany("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conds = ["COALESCE(p.declared_on, DATE '0001-01-01') <= DATE '2025-03-31'"]
    fast = con.execute(checksum_sums_sql(COLUMNS, "p, u", conds)).fetchone()
    slow = con.execute(canonical_sums_sql("p, u", conds)).fetchone()
    assert [int(v) for v in fast] == [int(v) for v in slow]
    assert int(fast[0]) == 2 and int(fast[3]) == 3 and fast[1] != fast[4]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server's sums (the PostgreSQL pass)")
def test_the_server_s_one_pass_sums_are_the_checksums_sums(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The same on PostgreSQL over the demo province's participations and units, for the rows declared by
    the end of 2024 and for all: the one-pass query returns the sums of the query it replaced."""
    rows = "registry_participation p JOIN registry_unit u ON u.id = p.unit_id"
    conds = ["COALESCE(p.declared_on, DATE '0001-01-01') <= DATE '2024-12-31'"]
    with connection.cursor() as cur:
        cur.execute(checksum_sums_sql(COLUMNS, rows, conds))
        fast = cur.fetchone()
        cur.execute(canonical_sums_sql(rows, conds))
        slow = cur.fetchone()
    assert fast is not None and slow is not None
    assert [int(v) for v in fast] == [int(v) for v in slow] and int(fast[3]) > int(fast[0]) > 0


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server's sums (the PostgreSQL pass)")
def test_duckdb_s_copies_give_the_fingerprint_the_server_gives(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The demo province's inputs: the fingerprints of 2024-12 and 2025-06 taken by PostgreSQL equal those
    DuckDB takes over its copies; a wage changed in a row declared by 2024-12 changes both, in both."""
    book = load_rulebook()
    months = {Month(2024, 12): Month(2024, 12), Month(2025, 6): Month(2024, 12)}

    def both() -> tuple[dict[Month, str], dict[Month, str]]:
        session = DuckSession()
        try:
            session.load(INPUTS)
            with connection.cursor() as cur:
                server = inputs_fingerprints(SqlTables(cur, dialect_for("postgresql")), book, months)
            return server, inputs_fingerprints(DuckTables(session.con, DuckDialect()), book, months)
        finally:
            session.close()

    server, duck = both()
    assert server == duck and server[Month(2024, 12)] != server[Month(2025, 6)]
    row = Participation.objects.filter(from_month__lte=date(2024, 6, 1)).order_by("id").first()
    assert row is not None
    Participation.objects.filter(pk=row.pk).update(wage=row.wage + 1)
    server2, duck2 = both()
    assert server2 == duck2
    assert all(server2[m] != server[m] for m in months)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server's old hash (the PostgreSQL pass)")
def test_a_state_fingerprinted_the_old_way_is_still_resumed_from(demo_unposted) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A state saved before the checksums carries the old fingerprint (PostgreSQL's hash of each row's text):
    the next close, on either engine, checks it that way once and resumes (2025-03 from 2024-12); a state
    whose fingerprint is neither is not resumed from (2025-04 from the first month)."""
    from django.db import transaction

    from sicollect.close import service
    from sicollect.close.models import CloseState
    from sicollect.close.sql import close_engine
    from sicollect.close.sql.duck import duckdb_close_engine
    from sicollect.close.sql.engine import earliest

    book = load_rulebook()
    for engine in (close_engine, duckdb_close_engine):
        with transaction.atomic():
            sid = transaction.savepoint()
            service.close(Month(2024, 12), engine=close_engine)
            with connection.cursor() as cur:
                tables = SqlTables(cur, dialect_for("postgresql"))
                first = earliest(tables, tables.d, date(2024, 12, 31))
                assert first is not None
                old = inputs_fingerprints(tables, book, {Month(2024, 12): first}, legacy=True)[Month(2024, 12)]
            state = CloseState.objects.get()
            assert state.fingerprint != old
            CloseState.objects.filter(pk=state.pk).update(fingerprint=old)
            assert service.close(Month(2025, 3), engine=engine).resumed_from == "2024-12"
            CloseState.objects.update(fingerprint="0" * 64)
            assert service.close(Month(2025, 4), engine=engine).resumed_from == ""
            transaction.savepoint_rollback(sid)
