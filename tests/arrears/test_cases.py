"""Cases opened, updated and closed by the sync, on a unit worked out by hand."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears.cases import debts, sync
from sicollect.arrears.models import Case, CaseEvent
from sicollect.contributions.posting import post_units
from sicollect.core.months import Month
from sicollect.registry.models import Unit

from .. import factories as f

pytestmark = pytest.mark.django_db


def hi_unit(code: str = "TA0001", **kw: object) -> Unit:
    """HI only, wage 10,000,000 from Jul 2025: 4.5 % = 450,000 a month, due by the end of the next month."""
    u = f.unit(code, **kw)
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    return u


def post(through: str) -> None:
    post_units(Unit.objects.all(), Month.parse(through))


def test_the_debt_aggregate_of_an_unpaid_hi_unit() -> None:
    u = hi_unit()
    post("2025-10")
    d = debts(date(2025, 10, 31))[u.pk]
    # Jul..Oct assessed: 4 × 450,000; July (due 31 Aug) and August (due 30 Sep) are late.
    assert (d.outstanding, d.late) == (1_800_000, 900_000)
    assert d.oldest_late_from == date(2025, 9, 1)
    assert d.months_late(date(2025, 10, 31)) == 2 and d.days_late(date(2025, 10, 31)) == 61


def test_a_case_opens_with_the_first_late_month_and_is_updated_not_duplicated() -> None:
    u = hi_unit()
    post("2025-08")
    assert sync(date(2025, 8, 31)).opened == 0  # July is due 31 Aug: not yet late
    post("2025-09")
    s = sync(date(2025, 9, 30))
    assert s.opened == 1
    case = Case.objects.get(unit=u)
    # 31 Aug → 30 Sep is one whole month (month ends count as the same day, close/aging.py)
    assert (case.late_amount, case.outstanding, case.months_late, case.days_late, case.debt_class) == (
        450_000, 1_350_000, 1, 30, "II")
    post("2025-10")
    s = sync(date(2025, 10, 31))
    assert (s.opened, s.updated) == (0, 1)
    case.refresh_from_db()
    assert (case.late_amount, case.outstanding, case.months_late, case.debt_class) == (900_000, 1_800_000, 2, "II")
    assert sync(date(2025, 10, 31)).opened == 0  # rerun: nothing new
    assert Case.objects.filter(unit=u).count() == 1
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["opened"]


def test_a_case_closes_when_paid_and_a_new_one_opens_for_new_late_debt() -> None:
    u = hi_unit()
    post("2025-09")
    sync(date(2025, 9, 30))
    # 1,354,725 on 5 Oct pays, in the legal order, July to September (1,350,000), September's interest
    # charge on July (30 days × 135 = 4,050) and 675 of October. The interest of 1–4 Oct on July and
    # August (2 × 4 × 135 = 1,080) is charged in October and stays unpaid: no late principal left.
    f.payment(u, date(2025, 10, 5), 450_000 + 4_725 + 450_000 + 450_000)
    post("2025-10")
    s = sync(date(2025, 10, 31))
    assert s.closed_paid == 1
    case = Case.objects.get(unit=u)
    assert (case.closed_on, case.close_reason, case.late_amount) == (date(2025, 10, 31), "paid", 0)
    post("2025-11")  # October (due 30 Nov) unpaid: not late on 30 Nov
    assert sync(date(2025, 11, 30)).opened == 0
    post("2025-12")
    assert sync(date(2025, 12, 31)).opened == 1
    assert Case.objects.filter(unit=u).count() == 2
    new = Case.objects.get(unit=u, closed_on__isnull=True)
    # October's 449,325 left is late (31 days); November (due 31 Dec) and December are not yet.
    assert (new.opened_on, new.late_amount, new.outstanding, new.months_late, new.days_late) == (
        date(2025, 12, 31), 449_325, 449_325 + 450_000 + 450_000, 1, 31)


def test_a_unit_whose_debt_is_class_iv_gets_no_case_and_an_open_one_closes() -> None:
    u = hi_unit()
    missing = hi_unit("TA0002", status="missing")
    post("2025-10")
    sync(date(2025, 10, 31))
    assert not Case.objects.filter(unit=missing).exists()
    u.status = "dissolved"
    u.save()
    s = sync(date(2025, 10, 31))
    assert s.closed_class_iv == 1
    assert Case.objects.get(unit=u).close_reason == "class_iv"


def test_an_officer_is_assigned_and_notes_join_the_history() -> None:
    from django.contrib.auth import get_user_model

    from sicollect.arrears.cases import do_add_note, do_assign

    hi_unit()
    post("2025-10")
    sync(date(2025, 10, 31))
    case = Case.objects.get()
    officer = get_user_model().objects.create(username="nguyen.van.a")
    assert do_assign([case.pk], officer, actor="truong.phong") == 1
    do_add_note(case, "nguyen.van.a", "Gọi điện, kế toán hẹn nộp trước 15/11", on=date(2025, 11, 3))
    case.refresh_from_db()
    assert case.officer == officer
    assert [(e.kind, e.actor, e.text) for e in CaseEvent.objects.filter(case=case).order_by("id")] == [
        ("opened", "", ""), ("assigned", "truong.phong", "nguyen.van.a"),
        ("note", "nguyen.van.a", "Gọi điện, kế toán hẹn nộp trước 15/11")]
    assert case.notes.get().text.startswith("Gọi điện")
