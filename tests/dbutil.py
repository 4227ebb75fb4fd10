"""Database helpers shared by test modules."""
from __future__ import annotations


def wipe_demo() -> None:
    """Remove what a module-scoped demo fixture committed outside the test transactions.

    Module-scoped demo fixtures (tests/close/test_close_sql.py) commit; this resets the tables they filled.
    """
    from django.db import connection

    tables = ["coverage_agentreceipt", "coverage_householdmember", "coverage_household", "coverage_voluntaryenrolment",
              "coverage_collectionagent", "close_unitdebtstate", "close_closedmonth", "contributions_ledgerentry", "contributions_payment",
              "plans_plantarget", "registry_participation", "registry_person", "registry_unit", "registry_commune",
              "registry_office"]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The ledger refuses DELETE on PostgreSQL; TRUNCATE is the owner's way to reset a test database.
            cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cur.execute(f"DELETE FROM {table}")


def assert_every_interest_charge_explained(minimum: int = 1) -> int:
    """For every interest charge in the ledger (unit × month × fund, corrections of closed months apart), the
    lines that explain it: their exact sum rounded half up once is the charge, and the lines' đồng amounts
    (``contributions.statement.explain``) add up to it exactly. Returns the number of charges checked."""
    from collections import defaultdict

    from sicollect.contributions.models import LedgerEntry
    from sicollect.contributions.statement import explain
    from sicollect.core.money import PPM, round_half_up

    charges: dict[tuple[object, ...], list[tuple[int, dict]]] = defaultdict(list)  # type: ignore[type-arg]
    for unit_id, period, fund, amount, detail in (
            LedgerEntry.objects.filter(kind="interest", for_period__isnull=True)
            .order_by("id").values_list("unit_id", "period", "fund", "amount", "detail")):
        charges[(unit_id, period, fund)].append((amount, detail))
    checked = 0
    for key, rows in charges.items():
        amount = sum(a for a, _ in rows)
        detail = rows[-1][1]
        segments = [s for part in (detail.get("parts") or [detail]) for s in part.get("segments", [])]
        lines = explain(segments, amount)
        assert segments, (key, detail)
        assert round_half_up(sum(line["exact_ppm"] for line in lines), PPM) == amount, (key, segments)
        assert sum(line["amount"] for line in lines) == amount, key
        checked += 1
    assert checked >= minimum
    return checked


def database_url(name: str | None = None) -> str:
    """A ``postgres://`` URL of the test server, to the test database or to database ``name`` (for a child
    process: gunicorn, a benchmark script)."""
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (f"postgres://{s.get('USER') or 'postgres'}{password}@{s.get('HOST') or '127.0.0.1'}:"
            f"{s.get('PORT') or 5432}/{name or s['NAME']}")
