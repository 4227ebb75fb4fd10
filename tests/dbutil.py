"""Database helpers shared by test modules."""
from __future__ import annotations


def wipe_demo() -> None:
    """Remove what a module-scoped demo fixture committed outside the test transactions.

    Module-scoped demo fixtures (tests/test_close_sql.py) commit; this resets the tables they filled.
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
