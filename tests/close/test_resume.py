"""A close starts from the state the last close saved, when nothing it read for the closed months changed.

The monthly close of one more month then computes that month only, not every month since the first;
the ledger it writes is the same, to the đồng, as the per-unit reference's. Any change to what the
closed months read (a payment dated in one, a declaration in force in one, a unit's payment cycle, a
ledger row posted for one) sends the close back to the first month, so the change is booked in the
open month as a correction, exactly as without the saved state.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q

from sicollect.close import service
from sicollect.close.models import CloseState, CloseStateItem
from sicollect.close.sql import close_engine, run_close
from sicollect.close.sql.dialect import dialect_for
from sicollect.close.sql.engine import (
    CHANGE_TRIGGERS,
    STATE_TABLES,
    earliest,
    input_changes,
    inputs_fingerprint,
    inputs_fingerprints,
)
from sicollect.close.sql.tables import SqlTables
from sicollect.contributions.models import LedgerEntry, Payment
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Unit
from sicollect.rules.book import load_rulebook

from .. import factories as f
from .test_close_sql import assert_same, demo_unposted, ledger_by_key, reference_by_key  # noqa: F401


def full_engine(through: Month, closed: Month | None, progress: bool) -> Any:
    return run_close(through, closed, progress, resume=False)


def ledger_of_a_full_close(through: Month, state: dict[str, list[tuple[Any, ...]]] | None = None,
                           ) -> dict[tuple[Any, ...], int]:
    """The ledger a close through ``through`` without any saved state would leave (rolled back); the
    state it saves into ``state`` (:func:`saved_state`) when given."""
    with transaction.atomic():
        sid = transaction.savepoint()
        service.close(through, engine=full_engine)
        want = ledger_by_key()
        if state is not None:
            state.update(saved_state())
        transaction.savepoint_rollback(sid)
    return want


def saved_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every ``close_state_*`` table's rows (their columns but the id, sorted) and the CloseState's seq
    and fingerprint."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cur:
        for state, columns in STATE_TABLES.values():
            cur.execute(f"SELECT {columns} FROM {state}")
            out[state] = sorted(cur.fetchall(), key=repr)
    s = CloseState.objects.get()
    out["close_state"] = [(s.month, s.seq, s.fingerprint)]
    return out


@pytest.mark.django_db
def test_monthly_closes_resume_and_write_the_reference_ledger(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """Three closes (2024-12, 2025-06, 2025-12): the second and third start from the saved state and
    compute only their own months; the ledger equals the reference key by key, as one close would."""
    first = service.close(Month(2024, 12), engine=close_engine)
    assert first.resumed_from == ""
    state = CloseState.objects.get()
    assert state.month == date(2024, 12, 1) and CloseStateItem.objects.exists()
    if connection.vendor == "sqlite":
        # a state saved before the fingerprint's line of text was one printf (7 Dec 2026), and before the
        # triggers counted the changes (a database without them), still resumes: checked by its rows
        with connection.cursor() as cur:
            tables = SqlTables(cur, dialect_for(connection.vendor))
            first = earliest(tables, tables.d, date(2024, 12, 31))
            assert first is not None
            legacy = inputs_fingerprints(tables, load_rulebook(), {Month(2024, 12): first}, legacy=True)
            for name in CHANGE_TRIGGERS:
                cur.execute(f"DROP TRIGGER {name}")
        assert legacy[Month(2024, 12)] != state.fingerprint
        CloseState.objects.filter(pk=state.pk).update(fingerprint=legacy[Month(2024, 12)])
    second = service.close(Month(2025, 6), engine=close_engine)
    assert second.resumed_from == "2024-12"
    assert second.months == [str(Month(2025, m)) for m in range(1, 7)]
    assert not LedgerEntry.objects.filter(for_period__isnull=False).exists()  # nothing to correct
    third = service.close(Month(2025, 12), engine=close_engine)
    assert third.resumed_from == "2025-06"
    assert CloseState.objects.get().month == date(2025, 12, 1)
    assert_same(ledger_by_key(), reference_by_key(Month(2025, 12)))


def _payment_dated_in_a_closed_month(u: Unit) -> None:
    f.payment(u, date(2024, 11, 20), 1_000_000, payment_id="LATE-RECORDED")


def _wage_raised_in_a_closed_month(u: Unit) -> None:
    row = Participation.objects.filter(unit=u, from_month__lte=date(2024, 6, 1)).order_by("id").first()
    assert row is not None
    Participation.objects.filter(pk=row.pk).update(wage=row.wage + 1_000_000)


def _payment_cycle_changed(u: Unit) -> None:
    Unit.objects.filter(pk=u.pk).update(payment_cycle=3 if u.payment_cycle != 3 else 1)


def _ledger_row_for_a_closed_month(u: Unit) -> None:
    LedgerEntry.objects.create(unit=u, period=date(2025, 1, 1), posted_on=date(2025, 1, 2), kind="adjustment",
                               fund="HI", target="principal", month=date(2024, 10, 1), source="by hand",
                               amount=1_000, for_period=date(2024, 12, 1))


def unnumbered(state: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`saved_state` without the numbers of the items (``seq``, and the state's last one): a close that
    recomputed some units numbers their items apart from the others', in the same order within each unit."""
    out = dict(state)
    seq = [c.strip() for c in STATE_TABLES["ce_item"][1].split(",")].index("seq")
    out["close_state_item"] = sorted((r[:seq] + r[seq + 1:] for r in state["close_state_item"]), key=repr)
    out["close_state"] = [(m, fp) for m, _, fp in state["close_state"]]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("change", [_payment_dated_in_a_closed_month, _wage_raised_in_a_closed_month,
                                    _payment_cycle_changed, _ledger_row_for_a_closed_month])
def test_a_change_to_a_closed_month_recomputes_its_unit_from_the_first(demo_unposted, change: Callable[[Unit], None]) -> None:  # type: ignore[no-untyped-def]
    """After the data of a closed month changed for one unit, the next close recomputes that unit from its
    first month and starts every other unit from the saved state: on SQLite the triggers name the unit, on
    PostgreSQL its sums of the rows (``close_state_unitsum``), and a ledger row written for a closed month
    names its unit. It writes what a close without any saved state writes, to the đồng (the difference
    booked in the open month), and saves the same state but the items' numbers. (That the close after it
    resumes from such a state and agrees again: ``test_changes_to_several_units_recompute_those_units_and_say_so``.)"""
    service.close(Month(2024, 12), engine=close_engine)
    u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
    assert u is not None
    change(u)
    whole: dict[str, list[tuple[Any, ...]]] = {}
    want = ledger_of_a_full_close(Month(2025, 3), whole)
    summary = service.close(Month(2025, 3), engine=close_engine)
    assert (summary.resumed_from, summary.recomputed) == ("2024-12", 1)
    assert ledger_by_key() == want
    assert unnumbered(saved_state()) == unnumbered(whole)
    if change is _payment_dated_in_a_closed_month:
        corrections = LedgerEntry.objects.filter(unit=u, for_period=date(2024, 12, 1), period=date(2025, 1, 1))
        assert corrections.filter(kind="payment").exists()


@pytest.mark.django_db
def test_changes_to_several_units_recompute_those_units_and_say_so(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """Closed through 2024-12; then a payment dated in October 2024 is recorded for unit A, one of B's
    payments of 2024 is found to be C's and moved, and a declaration of D in force in 2024 is removed. The
    close through 2025-02 recomputes A, B, C and D from their first month, says so, and leaves the ledger
    and the state of a close without saved state; the close after it (2025-04) resumes from that state and
    still writes what a close without saved state writes."""
    service.close(Month(2024, 12), engine=close_engine)
    units = list(Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).distinct().order_by("code"))
    a, b, c, d = units[1], units[2], units[3], units[4]
    f.payment(a, date(2024, 10, 3), 2_500_000, payment_id="RECORDED-LATE")
    moved = Payment.objects.filter(unit=b, paid_on__lte=date(2024, 12, 31)).order_by("id").first()
    assert moved is not None
    Payment.objects.filter(pk=moved.pk).update(unit=c)
    row = Participation.objects.filter(unit=d, from_month__lte=date(2024, 6, 1)).order_by("id").first()
    assert row is not None
    row.delete()
    whole: dict[str, list[tuple[Any, ...]]] = {}
    want = ledger_of_a_full_close(Month(2025, 2), whole)
    out = StringIO()
    call_command("close", "--through", "2025-02", stdout=out)
    assert ("started from the state saved at the close of 2024-12; 4 unit(s) whose closed months' data "
            "changed since were recomputed from their first month") in out.getvalue()
    assert ledger_by_key() == want
    assert unnumbered(saved_state()) == unnumbered(whole)
    # the corrections are theirs: the moved payment leaves B and reaches C (to its debt or credit), D's dues go down
    fixed = LedgerEntry.objects.filter(for_period=date(2024, 12, 1))
    assert set(fixed.values_list("unit_id", flat=True)) <= {a.pk, b.pk, c.pk, d.pk}
    assert fixed.filter(unit=b, kind="payment", payment_id=moved.pk).exists()
    assert fixed.filter(unit=c, payment_id=moved.pk).exists()
    assert sum(e.amount for e in fixed.filter(unit=d, kind="due")) < 0
    want = ledger_of_a_full_close(Month(2025, 4))
    summary = service.close(Month(2025, 4), engine=close_engine)
    assert (summary.resumed_from, summary.recomputed) == ("2025-02", 0)
    assert ledger_by_key() == want


@pytest.mark.django_db
def test_a_rule_of_a_closed_month_changed_recomputes_every_unit(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """A payment recorded late for one unit and, in the same interval, region I's minimum wage of 2024
    corrected: the rules are every unit's, so the close does not resume (not even the others from the
    state) and writes what a close without saved state writes."""
    from sicollect.rules.models import RegionalMinimumWage

    service.close(Month(2024, 12), engine=close_engine)
    u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
    assert u is not None
    _payment_dated_in_a_closed_month(u)
    wage = RegionalMinimumWage.objects.filter(region=1, valid_from__lte=date(2024, 12, 1)).order_by("-valid_from").first()
    assert wage is not None
    RegionalMinimumWage.objects.filter(pk=wage.pk).update(amount=wage.amount + 300_000)
    want = ledger_of_a_full_close(Month(2025, 2))
    summary = service.close(Month(2025, 2), engine=close_engine)
    assert (summary.resumed_from, summary.recomputed) == ("", 0)
    assert ledger_by_key() == want


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's")
def test_a_state_counted_by_triggers_of_an_older_text_still_resumes(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """A database upgraded from code whose triggers had another text (they counted changes, but did not note
    their units): the state they counted still resumes when they counted no change since (the triggers are
    replaced by this code's); with a change counted, the close recomputes every unit (it cannot tell whose)."""
    older = ("CREATE TRIGGER close_ic_pay_ins AFTER INSERT ON contributions_payment "
             "BEGIN UPDATE close_input_changes SET n = n + 1 WHERE id = 1; END")

    def downgrade() -> None:
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER close_ic_pay_ins")
            cur.execute(older)

    service.close(Month(2024, 12), engine=close_engine)
    downgrade()
    assert service.close(Month(2025, 1), engine=close_engine).resumed_from == "2024-12"
    downgrade()
    u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
    assert u is not None
    f.payment(u, date(2025, 1, 20), 1_000_000, payment_id="LATE-RECORDED")  # counted by the older trigger
    want = ledger_of_a_full_close(Month(2025, 2))
    summary = service.close(Month(2025, 2), engine=close_engine)
    assert (summary.resumed_from, summary.recomputed) == ("", 0)
    assert ledger_by_key() == want


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's per-unit sums")
def test_the_per_unit_sums_give_the_fingerprints_of_the_rows_and_without_them_the_close_recomputes_all(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """The fingerprints from the per-unit sums (one pass grouped by unit) equal those of the rows, for two
    months at once; a state whose per-unit sums are missing (another engine saved it) is resumed when
    nothing changed, and recomputed for every unit when something did."""
    from sicollect.close.models import CloseStateUnitSum
    from sicollect.close.sql.engine import unit_fingerprints

    book = load_rulebook()
    with connection.cursor() as cur:
        tables = SqlTables(cur, dialect_for("postgresql"))
        first = earliest(tables, tables.d, date(2024, 12, 31))
        assert first is not None
        months = {Month(2024, 12): first, Month(2025, 2): first}
        assert unit_fingerprints(tables, book, months) == inputs_fingerprints(tables, book, months)
    service.close(Month(2024, 12), engine=close_engine)
    assert CloseStateUnitSum.objects.filter(q=0).count() == Unit.objects.filter(participations__isnull=False).distinct().count()
    CloseStateUnitSum.objects.all().delete()
    assert service.close(Month(2025, 1), engine=close_engine).resumed_from == "2024-12"  # nothing changed
    assert CloseStateUnitSum.objects.exists()  # saved again with the state of 2025-01
    CloseStateUnitSum.objects.all().delete()
    u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
    assert u is not None
    _payment_dated_in_a_closed_month(u)
    want = ledger_of_a_full_close(Month(2025, 2))
    summary = service.close(Month(2025, 2), engine=close_engine)
    assert (summary.resumed_from, summary.recomputed) == ("", 0)
    assert ledger_by_key() == want


@pytest.mark.django_db
def test_a_new_unit_and_open_month_data_still_resume(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """A unit registered after the close, declaring from the open month, and payments in the open month
    change nothing the closed months read: the close resumes, and its ledger equals a full close's."""
    service.close(Month(2024, 12), engine=close_engine)
    u = f.unit("NEW0001", office=Unit.objects.order_by("code").first().office)  # type: ignore[union-attr]
    p = f.person("7900000999")
    f.participation(u, p, "2025-01", None, 8_000_000, declared_on=date(2025, 1, 5))
    f.payment(u, date(2025, 2, 10), 500_000)
    whole: dict[str, list[tuple[Any, ...]]] = {}
    want = ledger_of_a_full_close(Month(2025, 2), whole)
    summary = service.close(Month(2025, 2), engine=close_engine)
    assert summary.resumed_from == "2024-12"
    assert ledger_by_key() == want
    # the state the resumed close saved, the base in force and the persons' rows changed in place, equals
    # the state a close from the first month saves whole (and its fingerprint, computed in the resume
    # check's pass, the one computed alone)
    assert len(whole["close_state_base"]) > 1000 and len(whole["close_state_person"]) > 100
    assert saved_state() == whole
    assert sum(e.amount for e in LedgerEntry.objects.filter(unit=u, kind="due")) > 0


@pytest.mark.django_db
def test_the_fingerprints_of_two_months_read_in_one_pass_equal_each_alone(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """The close checks the last closed month's fingerprint and records the closed one's, in one pass over
    the inputs: each equals the fingerprint computed alone; a payment between the two days changes the
    later one only, one declared before the earlier day both."""
    book = load_rulebook()
    with connection.cursor() as cur:
        tables = SqlTables(cur, dialect_for(connection.vendor))
        first = earliest(tables, tables.d, date(2024, 12, 31))
        assert first is not None
        a, b = Month(2024, 12), Month(2025, 2)

        def alone() -> dict[Month, str]:
            return {m: inputs_fingerprint(tables, book, first, m) for m in (a, b)}

        before = inputs_fingerprints(tables, book, {a: first, b: first})
        assert before == alone() and before[a] != before[b]
        u = Unit.objects.order_by("code").first()
        f.payment(u, date(2025, 1, 20), 1_000)
        after = inputs_fingerprints(tables, book, {a: first, b: first})
        assert after == alone() and after[a] == before[a] and after[b] != before[b]
        f.payment(u, date(2024, 11, 20), 1_000)
        again = inputs_fingerprints(tables, book, {a: first, b: first})
        assert again == alone() and again[a] != after[a] and again[b] != after[b]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's (PostgreSQL hashes the rows)")
def test_sqlite_counts_the_changes_to_closed_months_inputs_only(demo_unposted) -> None:  # type: ignore[no-untyped-def]
    """After a close through 2024-12 the triggers count a payment or a declaration of a closed month (added,
    changed, removed) and a unit's region, cycle or risk class; not what only the open months read, nor
    a unit's other fields."""
    service.close(Month(2024, 12), engine=close_engine)

    def count() -> int | None:
        with connection.cursor() as cur:
            return input_changes(SqlTables(cur, dialect_for("sqlite")))

    n = count()
    assert n is not None
    u = Unit.objects.filter(participations__from_month__lte=date(2024, 6, 1)).order_by("code").first()
    assert u is not None
    open_pay = f.payment(u, date(2025, 1, 2), 1_000)                      # open month: not counted
    Payment.objects.filter(pk=open_pay.pk).update(amount=2_000)
    Unit.objects.filter(pk=u.pk).update(name="Renamed")
    p = f.person("7900000998")
    f.participation(u, p, "2024-06", None, 8_000_000, declared_on=date(2025, 1, 5))  # declared in the open month
    assert count() == n
    closed_pay = f.payment(u, date(2024, 12, 31), 1_000)                  # the last closed day: +1
    assert count() == n + 1
    Payment.objects.filter(pk=closed_pay.pk).update(paid_on=date(2025, 1, 1))  # moved out: +1
    Payment.objects.filter(pk=closed_pay.pk).update(amount=5)             # open month now: 0
    row = (Participation.objects.filter(unit=u).filter(Q(declared_on__isnull=True) | Q(declared_on__lte=date(2024, 12, 31)))
           .order_by("id").first())
    assert row is not None
    Participation.objects.filter(pk=row.pk).update(wage=row.wage)         # same value: 0
    Participation.objects.filter(pk=row.pk).update(to_month=date(2024, 9, 1))  # +1
    Unit.objects.filter(pk=u.pk).update(oadi_low_risk=not u.oadi_low_risk)  # +1
    Unit.objects.filter(pk=u.pk).update(region=1 if u.region != 1 else 2)  # +1
    assert count() == n + 5
    Payment.objects.filter(pk=closed_pay.pk).update(paid_on=date(2024, 11, 3))  # moved in: +1
    Payment.objects.filter(pk=closed_pay.pk).delete()                     # removed: +1
    Participation.objects.filter(pk=row.pk).delete()                      # +1
    assert count() == n + 8
    # a migration that rebuilds a model's table on SQLite (create, copy, drop, rename) is not stopped by
    # the triggers: they read no table but their own
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE new__close_closedmonth AS SELECT * FROM close_closedmonth")
        cur.execute("DROP TABLE close_closedmonth")
        cur.execute("ALTER TABLE new__close_closedmonth RENAME TO close_closedmonth")
    f.payment(u, date(2024, 7, 1), 1_000)
    assert count() == n + 9
