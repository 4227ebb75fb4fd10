"""The close: locking, idempotence, late data for closed months, aging history."""
from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sicollect.close import service
from sicollect.contributions.models import ClosedMonth
from sicollect.close.models import CloseLock, UnitDebtState
from sicollect.close.sql import close_engine
from sicollect.contributions.models import LedgerEntry
from sicollect.contributions.posting import post_units
from sicollect.contributions.statement import statement
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["reference", "sql"])
def engine(request: pytest.FixtureRequest) -> service.Engine:
    """Every test runs on the per-unit reference and on the set-based close: same behaviour."""
    return service.reference_engine if request.param == "reference" else close_engine


def hi_unit() -> Unit:
    """HI only, 10,000,000 from July 2025: 450,000 a month, monthly payer (due end of next month)."""
    u = f.unit("TA0001")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    return u


def test_a_payment_recorded_for_a_closed_month_goes_into_the_open_month_with_interest_from_the_deadline(engine: service.Engine) -> None:
    """Closed through Sep 2025 with nothing paid: September interest on July (late 1 … 30 Sep) =
    450,000 × 0.03 % × 30 = 4,050.

    Then a payment of 450,000 received on 10 Sep is recorded. September stays as it was. The
    October close puts into October: the payment (450,000 to July) and September's interest
    recomputed from July's deadline, 9 days (1 … 9 Sep) = 1,215, i.e. a correction of −2,835.
    October's own interest: August late 1 … 31 Oct = 450,000 × 0.03 % × 31 = 4,185.
    October: opening 1,350,000 / 4,050; assessed 450,000; interest 4,185 − 2,835 = 1,350;
    paid 450,000; closing 1,350,000 / 5,400 (= 1,215 + 4,185).
    """
    u = hi_unit()
    service.close(Month(2025, 9), engine=engine)
    september = statement(u, Month(2025, 9))
    assert september["funds"]["HI"]["interest_charged"] == 4_050
    f.payment(u, date(2025, 9, 10), 450_000)
    service.close(Month(2025, 10), engine=engine)
    assert statement(u, Month(2025, 9)) == september
    hi = statement(u, Month(2025, 10))["funds"]["HI"]
    assert hi == {
        "opening_principal": 1_350_000, "opening_interest": 4_050, "assessed": 450_000, "adjusted": 0,
        "interest_charged": 1_350, "paid_principal": 450_000, "paid_interest": 0,
        "closing_principal": 1_350_000, "closing_interest": 5_400,
    }
    moved = LedgerEntry.objects.filter(for_period=Month(2025, 9))
    assert {(e.kind, e.amount) for e in moved} == {("payment", -450_000), ("interest", -2_835)}
    assert {e.period for e in moved} == {Month(2025, 10)}


def test_rerunning_is_idempotent_and_closed_months_are_refused(engine: service.Engine) -> None:
    u = hi_unit()
    service.close(Month(2025, 9), engine=engine)
    count = LedgerEntry.objects.count()
    assert post_units([u], Month(2025, 9)).appended == 0
    with pytest.raises(service.CloseRefused, match="already closed"):
        service.close(Month(2025, 9), engine=engine)
    assert LedgerEntry.objects.count() == count
    assert list(ClosedMonth.objects.values_list("month", flat=True)) == [Month(2025, m) for m in (7, 8, 9)]


def test_the_seconds_of_a_close_name_every_part_of_its_time() -> None:
    """The summary's seconds add up to the close: the pre-flight check and the lock first, then the engine's
    steps and the steps after it, and last recording the months and the commit (on SQLite the WAL's
    checkpoint, half a second of the province's month). The parts are disjoint, so they never sum to more
    than the close took; the gaps between them are a few Python statements."""
    import time

    from sicollect.close import steps

    hi_unit()
    t = time.perf_counter()
    summary = service.close(Month(2025, 9), engine=close_engine)
    wall = time.perf_counter() - t
    names = list(summary.seconds)
    assert names[0] == "preflight and lock" and names[-1] == "record and commit"
    assert {"dues", "interest", "write ledger"} <= set(names)
    assert [n for n in names if n in {s.name for s in steps.registered()}] == [s.name for s in steps.registered()]
    assert 0.8 * wall <= sum(summary.seconds.values()) <= wall


def test_a_second_close_while_one_runs_is_refused_with_a_clear_message(engine: service.Engine) -> None:
    engine_name = "sql" if engine is close_engine else "reference"
    hi_unit()
    CloseLock.objects.create(name="close", holder="other-host:4242")
    with pytest.raises(service.CloseRefused, match="another close is running .other-host:4242"):
        service.close(Month(2025, 9), engine=engine)
    assert not LedgerEntry.objects.exists() and not ClosedMonth.objects.exists()
    with pytest.raises(CommandError, match="--break-lock"):
        call_command("close", through="2025-09", engine=engine_name, stdout=StringIO())
    out = StringIO()
    call_command("close", through="2025-09", engine=engine_name, break_lock=True, stdout=out)
    assert ClosedMonth.objects.count() == 3 and not CloseLock.objects.exists()
    # The summary: July … September assessed 3 × 450,000; September's interest on July 4,050.
    assert "closed 2025-07 … 2025-09: 1 units" in out.getvalue()
    assert ClosedMonth.objects.get(month=Month(2025, 9)).summary["amounts"] == {"due": 1_350_000, "interest": 4_050}


def test_a_close_that_fails_half_way_leaves_nothing_behind(engine: service.Engine) -> None:
    hi_unit()

    def crashing(through: Month, closed: Month | None, progress: bool) -> int:
        engine(through, closed, progress)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        service.close(Month(2025, 9), engine=crashing)
    assert not LedgerEntry.objects.exists()
    assert not ClosedMonth.objects.exists() and not CloseLock.objects.exists()
    service.close(Month(2025, 9), engine=engine)
    assert ClosedMonth.objects.count() == 3


def test_each_change_of_bucket_and_class_is_kept_with_its_date(engine: service.Engine) -> None:
    """Nothing paid. July (due 31 Aug) is late from 1 Sep: at 30 Sep 1 month (bucket 1–3, class II;
    month ends count as the same day), at 31 Oct 2 months (no change), at 30 Nov 3 months (3–6, III.1),
    at 31 Dec 4 months (no change)."""
    u = hi_unit()
    service.close(Month(2025, 12), engine=engine)
    states = [(s.since, s.bucket, s.debt_class) for s in UnitDebtState.objects.filter(unit=u)]
    assert states == [
        (date(2025, 9, 30), "1-3", "II"),
        (date(2025, 11, 30), "3-6", "III.1"),
    ]


@pytest.mark.django_db
def test_closing_a_database_with_no_unit_yet_closes_the_month_with_nothing_posted(engine: service.Engine) -> None:
    """A new office's first close, before any unit is registered: no ledger row, no traceback (the set-based
    engine reports an empty summary of its steps)."""
    summary = service.close(Month(2025, 1), engine=engine)
    assert (summary.entries, summary.units, summary.months) == (0, 0, ["2025-01"])
    assert LedgerEntry.objects.count() == 0
    assert [str(m.month) for m in ClosedMonth.objects.all()] == ["2025-01"]


@pytest.mark.django_db
def test_the_preflight_names_bad_rows_of_several_units_in_unit_order_and_stops_at_its_limit() -> None:
    """Bad rows put past every door in three units, registered in the reverse order of their codes: TC0001 a
    payment of 10^12 + 1 đồng (0 the database itself refuses), TB0001 a payment dated 0001-01-01, TA0001 a participation from Jan 1990 (before the
    rules) with a wage of 2^62. The preflight finds the rows first and names each with its unit afterwards:
    payments first, each table's lines in the order of the units' codes; with a limit of 2 only the two
    payments are named."""
    from sicollect.close.preflight import stored_values_outside
    from sicollect.contributions.models import Payment
    from sicollect.core.domain import bounds
    from sicollect.registry.models import Participation

    tc, tb, ta = f.unit("TC0001"), f.unit("TB0001"), f.unit("TA0001")
    big = f.payment(tc, date(2025, 8, 20), 1_000_000)
    ancient = f.payment(tb, date(2025, 8, 20), 1_000_000)
    row = f.participation(ta, f.person(), "2025-07", None, 10_000_000, "HI")
    f.payment(ta, date(2025, 8, 20), 450_000)  # a good row of a unit with a bad one: not named
    Payment.objects.filter(pk=big.pk).update(amount=10**12 + 1)
    Payment.objects.filter(pk=ancient.pk).update(paid_on=date(1, 1, 1))
    Participation.objects.filter(pk=row.pk).update(from_month=date(1990, 1, 1), wage=2**62)
    b = bounds()
    assert stored_values_outside(20) == [
        f"unit TB0001: payment {ancient.payment_id!r}: paid on 0001-01-01, outside {b.earliest} … {b.latest}",
        f"unit TC0001: payment {big.payment_id!r}: amount 1,000,000,000,001 outside 1 … 1,000,000,000,000",
        f"unit TA0001: participation of {row.person.si_code} from 1990-01: wage 4,611,686,018,427,387,904 over "
        "10,000,000,000"]
    assert stored_values_outside(2) == stored_values_outside(20)[:2]
    with pytest.raises(service.StoredValuesOutside):
        service.close(Month(2025, 9), engine=close_engine)
    assert (LedgerEntry.objects.count(), ClosedMonth.objects.count(), CloseLock.objects.count()) == (0, 0, 0)


def test_the_close_itself_refuses_a_stored_value_it_cannot_compute(engine: service.Engine) -> None:
    """Not only the command: ``service.close`` (the API, the jobs, the demo call it) checks the stored rows
    first. A wage of 10**15 put in past every door (the bound is 10**10): refused with the unit and the
    person named, no ledger row, no closed month, the lock released; fixed, the same close runs."""
    from sicollect.registry.models import Participation

    u = hi_unit()
    Participation.objects.filter(unit=u).update(wage=10**15)
    with pytest.raises(service.StoredValuesOutside) as refused:
        service.close(Month(2025, 9), engine=engine)
    assert refused.value.lines == [
        f"unit TA0001: participation of {Participation.objects.get(unit=u).person.si_code} from 2025-07: "
        "wage 1,000,000,000,000,000 over 10,000,000,000"]
    assert "nothing was closed" in str(refused.value)
    assert (LedgerEntry.objects.count(), ClosedMonth.objects.count(), CloseLock.objects.count()) == (0, 0, 0)
    Participation.objects.filter(unit=u).update(wage=10_000_000)
    service.close(Month(2025, 9), engine=engine)
    assert statement(u, Month(2025, 9))["funds"]["HI"]["interest_charged"] == 4_050
