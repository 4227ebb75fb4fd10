"""The escalation ladder walked month by month by one unit, from its first late month to public
disclosure and back (paid → delisted), checking each document's figures."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears import disclosure, ladder, notices
from sicollect.arrears.cases import after_close, sync
from sicollect.arrears.models import Case, CaseStep, Disclosure, LadderStep, Notice, StepStatus
from sicollect.arrears.numbers import enforcement_numbers
from sicollect.arrears.reward import may_confirm_reward
from sicollect.contributions.statement import statement
from sicollect.core.months import Month

from .. import factories as f
from .test_cases import hi_unit, post

pytestmark = pytest.mark.django_db


def bank_office() -> None:
    o = f.office()
    o.bank_bin, o.bank_account = "970415", "113366668888"
    o.save()


def month_end(month: str) -> date:
    post(month)
    day = Month.parse(month).last_day
    after_close(day)
    return day


def proposed(on: date) -> list[str]:
    return list(CaseStep.objects.filter(status=StepStatus.PROPOSED, proposed_on=on)
                .values_list("step__code", flat=True))


def confirm_all(on: date) -> ladder.ConfirmSummary:
    ids = list(ladder.proposals(on).values_list("pk", flat=True))
    return ladder.confirm(ids, "can.bo.thu", on)


def test_the_default_ladder_is_seeded_as_rows() -> None:
    rows = list(LadderStep.objects.values_list("code", "min_days_late", "min_months_late", "min_amount",
                                               "amount_or_months", "requires__code", "wait_days"))
    assert rows == [
        ("NOTICE", 1, None, None, False, None, 0),
        ("LATE_NOTICE", None, 1, None, False, "NOTICE", 0),
        ("URGING", None, 2, None, False, "LATE_NOTICE", 15),
        ("CONFERENCE", None, 3, None, False, "URGING", 15),
        ("WORKING_GROUP", None, 6, 500_000_000, True, "URGING", 15),
        ("INSPECTION", None, 6, None, False, "WORKING_GROUP", 30),
        ("DISCLOSURE", None, 6, None, False, "INSPECTION", 30),
        ("POLICE", None, 6, None, False, "DISCLOSURE", 30),
    ]


def test_one_unit_from_its_first_late_month_to_disclosure_and_back() -> None:
    bank_office()
    u = hi_unit()
    month_end("2025-08")
    assert not Case.objects.exists()  # July is due 31 Aug

    d = month_end("2025-09")  # July 30 days late
    assert proposed(d) == ["NOTICE"]
    assert ladder.propose(d).proposed == 0  # rerun: nothing twice
    s = confirm_all(d)
    assert (s.confirmed, s.notices) == (1, 1)
    n = Notice.objects.get(case_step__step__code="NOTICE")
    # Jul–Sep assessed 3 × 450,000; interest on July 1–30 Sep: 450,000 × 0.03 % × 30 = 4,050.
    assert (n.figures["principal"], n.figures["interest"], n.figures["late_principal"], n.total) == (
        1_350_000, 4_050, 450_000, 1_354_050)
    assert n.figures["funds"]["HI"]["principal"] == 1_350_000 and n.figures["funds"]["SI"]["principal"] == 0
    assert n.pay_by == date(2025, 10, 15) and n.transfer_message == "BHXH TA0001 T09/2025"
    assert ladder.confirm([n.case_step_id], "can.bo.thu").skipped == [f"{n.case_step_id}: confirmed"]

    d = month_end("2025-10")  # July and August late, 2 whole months
    assert proposed(d) == ["LATE_NOTICE"]  # URGING needs LATE_NOTICE done first
    confirm_all(d)
    n = Notice.objects.get(case_step__step__code="LATE_NOTICE")
    # Interest: Sep 4,050 + Oct (July 31 days 4,185 + August 31 days 4,185) = 12,420.
    assert (n.figures["principal"], n.figures["interest"], n.figures["late_principal"], n.total) == (
        1_800_000, 12_420, 900_000, 1_812_420)
    assert [(ln["period"], ln["month"], ln["days"], ln["amount"]) for ln in n.figures["interest_lines"]] == [
        ("2025-09", "2025-07", 30, 4_050), ("2025-10", "2025-07", 31, 4_185), ("2025-10", "2025-08", 31, 4_185)]
    assert sum(ln["amount"] for ln in n.figures["interest_lines"]) == n.figures["interest"]  # the lines explain it
    assert "4.185" in notices.html_of([n])  # and the notice shows them
    assert ladder.propose(d).proposed == 0  # URGING waits 15 days after the late-payment notice

    d = month_end("2025-11")
    assert proposed(d) == ["URGING"]
    confirm_all(d)
    n = Notice.objects.get(case_step__step__code="URGING")
    assert (n.figures["late_principal"], Case.objects.get().months_late) == (1_350_000, 3)

    d = month_end("2025-12")
    assert proposed(d) == ["CONFERENCE"]  # WORKING_GROUP needs 6 months or 500,000,000
    confirm_all(d)
    for m in ("2026-01",):
        assert proposed(month_end(m)) == []
    d = month_end("2026-02")  # July is 6 months late on 28 Feb 2026
    assert proposed(d) == ["WORKING_GROUP"]
    confirm_all(d)
    d = month_end("2026-03")
    assert proposed(d) == ["INSPECTION"]
    confirm_all(d)
    d = month_end("2026-04")
    assert proposed(d) == ["DISCLOSURE"]
    s = confirm_all(d)
    assert s.disclosures == 1 and s.notices == 0
    entry = Disclosure.objects.get()
    assert entry.status == "candidate"
    assert disclosure.do_publish(d, "giam.doc") == 0  # nothing published without approval
    assert disclosure.do_review([entry.pk], "giam.doc", d) == {"approved": 1, "dropped": 0}
    assert disclosure.do_publish(d, "giam.doc") == 1
    # 10 months assessed (Jul 2025 – Apr 2026), 8 of them late (Jul – Feb).
    entry.refresh_from_db()
    assert (entry.status, entry.late_amount, entry.months_late) == ("published", 8 * 450_000, 8)
    answer = may_confirm_reward(u, d)
    assert not answer.may_confirm and "3.600.000" in answer.reason

    # The unit pays all it owed at the end of April on 5 May; the sync delists it.
    owed = statement(u, Month(2026, 4))["total"]
    f.payment(u, date(2026, 5, 5), owed["closing_principal"] + owed["closing_interest"])
    d = month_end("2026-05")
    case = Case.objects.get()
    assert (case.closed_on, case.close_reason) == (d, "paid")
    entry.refresh_from_db()
    assert (entry.status, entry.removed_on) == ("removed", d)
    assert disclosure.published(d) == []
    assert may_confirm_reward(u, d).may_confirm  # urged in 2025, not in 2026
    paid = owed["closing_principal"] + owed["closing_interest"]
    figures = enforcement_numbers(date(2025, 9, 1), d)
    assert figures["recovered_after_step"] == {"DISCLOSURE": {"amount": paid, "units": 1}}
    assert figures["notices_by_step"] == {"NOTICE": 1, "LATE_NOTICE": 1, "URGING": 1, "CONFERENCE": 1,
                                          "INSPECTION": 1}
    assert (figures["notices_sent"], figures["units_urged"], figures["disclosed_units"]) == (5, 1, 1)
    assert not may_confirm_reward(u, date(2025, 12, 31)).may_confirm


def test_an_amount_over_the_threshold_calls_the_working_group_before_six_months() -> None:
    u = hi_unit()
    sync(date(2025, 1, 1))
    case = Case.objects.create(unit=u, opened_on=date(2025, 10, 31), as_of=date(2025, 10, 31),
                               late_amount=600_000_000, months_late=2, days_late=61, debt_class="II")
    steps = {s.code: s for s in LadderStep.objects.all()}
    done = {steps["NOTICE"].pk: date(2025, 9, 30), steps["LATE_NOTICE"].pk: date(2025, 10, 1),
            steps["URGING"].pk: date(2025, 10, 10)}
    assert ladder.is_due(steps["WORKING_GROUP"], case, done, date(2025, 10, 31))
    assert not ladder.is_due(steps["WORKING_GROUP"], case, done, date(2025, 10, 20))  # waits 15 days
    case.late_amount = 400_000_000
    assert not ladder.is_due(steps["WORKING_GROUP"], case, done, date(2025, 10, 31))
    steps["WORKING_GROUP"].debt_classes = "III"
    case.late_amount = 600_000_000
    assert not ladder.is_due(steps["WORKING_GROUP"], case, done, date(2025, 10, 31))
