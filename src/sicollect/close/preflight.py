"""What the close checks before it takes its lock: values already stored that it cannot compute.

The doors (importers, the API, the forms) refuse values outside the input domain (``core.domain``), but rows
can reach the database around them (the admin, SQL, a restore of an old file). The close names them, unit
and row, and closes nothing, rather than stopping midway with an overflow or a missing rule.
"""
from __future__ import annotations

from sicollect.contributions.models import Payment
from sicollect.core.domain import MAX_AMOUNT, MAX_WAGE, bounds, safe_text
from sicollect.registry.models import Participation


def stored_values_outside(limit: int = 20) -> list[str]:
    """Rows already in the database that the doors would now refuse: payments outside the amount bound or
    dated outside the window, participations with a wage over the bound or a start before the rules.
    At most ``limit`` lines, each naming the unit and the row, in the order of the units' codes; empty when all
    is well. The rows are found unordered (one scan of each table: ordered by unit, PostgreSQL walked the 22 M
    participations of the national demo in index order before every close) and the few found are sorted."""
    b = bounds()
    out: list[str] = []
    # the ids first, from the table alone, then the few found with their unit (and person): joined in the
    # same query, SQLite walked every unit and its rows by the unit index (0.18 s a close on the province)
    bad_payments = (Payment.objects.filter(amount__gt=MAX_AMOUNT) | Payment.objects.filter(amount__lt=1)
                    | Payment.objects.filter(paid_on__lt=b.earliest) | Payment.objects.filter(paid_on__gt=b.latest))
    found = list(bad_payments.order_by().values_list("pk", flat=True)[:limit])
    for unit, pid, paid_on, amt in sorted(Payment.objects.filter(pk__in=found).values_list(
            "unit__code", "payment_id", "paid_on", "amount")):
        why = (f"amount {amt:,} outside 1 … {MAX_AMOUNT:,}" if not 1 <= amt <= MAX_AMOUNT
               else f"paid on {paid_on}, outside {b.earliest} … {b.latest}")
        out.append(f"unit {unit}: payment {safe_text(pid)!r}: {why}")
    bad_rows = (Participation.objects.filter(wage__gt=MAX_WAGE)
                | Participation.objects.filter(from_month__lt=b.earliest_month))
    found = list(bad_rows.order_by().values_list("pk", flat=True)[: max(0, limit - len(out))])
    for unit, si, start, wage_ in sorted(Participation.objects.filter(pk__in=found).values_list(
            "unit__code", "person__si_code", "from_month", "wage")):
        why = f"wage {wage_:,} over {MAX_WAGE:,}" if wage_ > MAX_WAGE else f"starts {start}, before the rules"
        out.append(f"unit {unit}: participation of {si} from {start}: {why}")
    return out
