"""The follow-up log: a call with a promise to pay, kept or broken at the close, and what the ladder
makes of it. The HI unit of test_cases owes 450,000 a month from Jul 2025, due by the end of the
next month."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears import ladder
from sicollect.arrears.followups import Entry, FollowUpError, do_log_followup
from sicollect.arrears.models import Case, CaseEvent, CaseStep, FollowUp, StepStatus
from sicollect.core.models import AuditEvent

from .. import factories as f
from .test_ladder import confirm_all, month_end

pytestmark = pytest.mark.django_db


def call(unit: object, on: date, amount: int | None = None, by: date | None = None, **kw: object) -> FollowUp:
    e = Entry(kind="call", contacted_on=on, outcome="promised" if amount else "reached",
              contact_name="Giám đốc Nguyễn Văn A", note="hứa đóng", promise_amount=amount, promise_date=by,
              **kw)  # type: ignore[arg-type]
    return do_log_followup(unit, "can.bo.thu", e, "test")  # type: ignore[arg-type]


def test_a_broken_promise_is_marked_at_the_close_and_escalates_with_its_reason() -> None:
    from .test_cases import hi_unit

    u = hi_unit()
    confirm_all(month_end("2025-09"))  # NOTICE confirmed 30 Sep
    fu = call(u, date(2025, 10, 5), 900_000, date(2025, 10, 25))
    case = Case.objects.get(unit=u)
    assert fu.case == case and fu.promise_status == "pending"
    ev = CaseEvent.objects.get(case=case, kind="contact")
    assert (ev.actor, ev.data["promise_amount"], ev.data["promise_date"]) == ("can.bo.thu", 900_000, "2025-10-25")
    audit = AuditEvent.objects.get(action="log_followup")
    assert (audit.unit_code, audit.object_id, audit.detail["after"]["promise_amount"], audit.detail["source"]) == (
        "TA0001", str(fu.pk), 900_000, "test")
    f.payment(u, date(2025, 10, 20), 500_000)
    d = month_end("2025-10")  # the close: 500,000 paid of 900,000 promised → broken
    fu.refresh_from_db()
    assert (fu.promise_status, fu.promise_paid, fu.promise_checked_on) == ("broken", 500_000, d)
    case.refresh_from_db()
    assert case.escalate_from == d
    assert CaseEvent.objects.get(case=case, kind="promise_broken").data["paid"] == 500_000
    step = CaseStep.objects.get(case=case, status=StepStatus.PROPOSED)
    assert (step.step.code, step.reason) == ("LATE_NOTICE", "broken_promise")
    # a rerun of the check changes nothing
    from sicollect.arrears.followups import check_promises

    assert check_promises(d) == {"kept": 0, "broken": 0, "pending": 0}


def test_a_pending_promise_holds_the_ladder_and_is_kept_when_paid_by_its_date() -> None:
    from .test_cases import hi_unit

    u = hi_unit()
    confirm_all(month_end("2025-09"))
    fu = call(u, date(2025, 10, 5), 900_000, date(2025, 11, 15))
    d = month_end("2025-10")
    assert not CaseStep.objects.filter(status=StepStatus.PROPOSED).exists()  # held: LATE_NOTICE waits
    assert ladder.propose(d).held_by_promise == 1
    f.payment(u, date(2025, 11, 10), 600_000)
    f.payment(u, date(2025, 11, 14), 300_000)
    f.payment(u, date(2025, 11, 16), 999_000)  # after the promise date: does not count
    month_end("2025-11")
    fu.refresh_from_db()
    assert (fu.promise_status, fu.promise_paid) == ("kept", 900_000)


def test_bad_entries_write_nothing_and_a_later_contact_closes_the_next_action() -> None:
    from .test_cases import hi_unit

    u = hi_unit()
    with pytest.raises(FollowUpError) as err:
        do_log_followup(u, "x", Entry(kind="fax", contacted_on=date(2025, 10, 5), outcome="promised",
                                      promise_date=date(2025, 10, 1), next_action="gọi lại"), "test")
    assert err.value.fields == {
        "kind": "one of call, visit, letter, email",
        "promise_amount": "a promise needs both an amount and a date",
        "promise_date": "cannot be before the contact",
        "next_action_on": "the next action needs both a text and a date"}
    assert not FollowUp.objects.exists() and not AuditEvent.objects.exists()
    confirm_all(month_end("2025-09"))
    first = call(u, date(2025, 10, 1), next_action="gọi lại giám đốc", next_action_on=date(2025, 10, 10))
    d = month_end("2025-10")  # the action of 10 Oct is overdue on 31 Oct
    step = CaseStep.objects.get(status=StepStatus.PROPOSED)
    assert (step.step.code, step.reason) == ("LATE_NOTICE", "overdue_action")
    second = call(u, d, next_action="đến làm việc", next_action_on=date(2025, 11, 20))
    first.refresh_from_db()
    assert (first.action_closed_on, second.action_closed_on) == (d, None)
