"""Working groups and visits, installment commitments, the reward veto, the enforcement figures."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears import commitments, disclosure, groups, ladder
from sicollect.arrears.cases import after_close, sync
from sicollect.arrears.models import Case, CaseEvent, Commitment, Disclosure
from sicollect.arrears.numbers import enforcement_numbers
from sicollect.arrears.reward import check_many, may_confirm_reward
from sicollect.registry.models import Office

from .. import factories as f
from .test_cases import hi_unit, post

pytestmark = pytest.mark.django_db

AGENCIES = ["Sở Nội vụ", "Công an tỉnh", "Thanh tra tỉnh", "Liên đoàn Lao động tỉnh"]


def test_a_visit_that_does_not_find_the_unit_proposes_missing_and_the_case_goes_to_class_iv() -> None:
    u = hi_unit()
    post("2025-10")
    sync(date(2025, 10, 31))
    g = groups.do_form_group("Đoàn liên ngành số 1", f.office(), "Phó Giám đốc BHXH tỉnh", AGENCIES,
                             date(2025, 10, 1))
    v = groups.do_plan_visit(g, u, date(2025, 11, 10))
    groups.do_record_visit(v, date(2025, 11, 10), "not_found", "Trụ sở đóng cửa, không liên lạc được", "truong.doan")
    v.refresh_from_db()
    assert v.proposed_status == "missing"
    u.refresh_from_db()
    assert u.status == "active"  # a proposal, not yet a change
    groups.do_apply_status(v, "can.bo.thu")
    u.refresh_from_db()
    assert u.status == "missing"
    post("2025-11")
    s = sync(date(2025, 11, 30))
    assert s.closed_class_iv == 1 and Case.objects.get().close_reason == "class_iv"
    kinds = list(CaseEvent.objects.values_list("kind", flat=True))
    assert kinds == ["opened", "visit_planned", "visit", "status_change", "closed_class_iv"]


def test_a_commitment_holds_the_ladder_and_a_broken_one_escalates_at_once() -> None:
    u = hi_unit()
    post("2025-10")
    d = date(2025, 10, 31)
    after_close(d)  # NOTICE proposed
    ladder.confirm(list(ladder.proposals(d).values_list("pk", flat=True)), "can.bo.thu", d)
    case = Case.objects.get()
    commitments.do_commit(case, date(2025, 11, 1), [(date(2025, 11, 30), 450_000), (date(2025, 12, 31), 450_000)])
    f.payment(u, date(2025, 11, 20), 450_000)
    post("2025-11")
    out = after_close(date(2025, 11, 30))
    assert out["commitments"] == {"active": 1, "kept": 0, "broken": 0}
    assert out["proposals"]["held_by_commitment"] == 1 and out["proposals"]["proposed"] == 0
    post("2025-12")  # nothing more paid: 450,000 of the 900,000 due by 31 Dec
    out = after_close(date(2025, 12, 31))
    assert out["commitments"] == {"active": 0, "kept": 0, "broken": 1}
    case.refresh_from_db()
    assert case.escalate_from == date(2025, 12, 31)
    assert out["proposals"]["by_step"] == {"LATE_NOTICE": 1}
    assert Commitment.objects.get().status == "broken"


def test_a_kept_commitment_drops_the_unit_from_the_disclosure_review() -> None:
    u = hi_unit()
    post("2025-10")
    sync(date(2025, 10, 31))
    assert disclosure.nominate(date(2025, 10, 31), min_months=2) == 1
    assert disclosure.nominate(date(2025, 10, 31), min_months=2) == 0  # no duplicate
    commitments.do_commit(Case.objects.get(), date(2025, 11, 1), [(date(2025, 11, 30), 900_000)])
    entry = Disclosure.objects.get()
    assert disclosure.do_review([entry.pk], "giam.doc", date(2025, 11, 2)) == {"approved": 0, "dropped": 1}
    entry.refresh_from_db()
    assert entry.reason == "đang thực hiện cam kết trả nợ"
    assert u.pk == entry.unit_id


def test_the_reward_veto_by_code_or_tax_code() -> None:
    late = hi_unit("TA0001", tax_code="5700100001")
    hi_unit("TA0002", tax_code="5700100002")
    f.unit("TA0003", tax_code="5700100003")
    f.payment(late, date(2025, 8, 31), 450_000)  # July paid in time; August unpaid
    post("2025-10")
    answers = check_many(["TA0001", "5700100002", "5700100003", "NOPE"], date(2025, 10, 31))
    assert [(a.unit, a.may_confirm) for a in answers] == [
        ("TA0001", False), ("TA0002", False), ("TA0003", True), ("NOPE", False)]
    assert answers[0].reason == "còn nợ chậm đóng 450.000 đồng, 1 tháng, đến ngày 31/10/2025"
    ok, reason = may_confirm_reward(late, date(2025, 9, 30))
    assert ok and "không nợ" in reason


def test_the_enforcement_figures_of_a_period() -> None:
    qn = f.office("QN")
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)
    units = [hi_unit(f"TA000{i}") for i in range(1, 4)]
    post("2025-10")
    d = date(2025, 10, 31)
    after_close(d)
    ladder.confirm(list(ladder.proposals(d).values_list("pk", flat=True)), "can.bo.thu", d)  # 3 NOTICEs
    assert ladder.propose(d).proposed == 0  # one rung a day: LATE_NOTICE waits for the next day
    ladder.propose(date(2025, 11, 1))
    ladder.confirm(list(ladder.proposals(date(2025, 11, 1)).values_list("pk", flat=True)), "can.bo.thu",
                   date(2025, 11, 1))  # 3 LATE_NOTICEs
    post("2025-11")
    d2 = date(2025, 11, 30)
    after_close(d2)
    urging = list(ladder.proposals(d2, step="URGING").values_list("pk", flat=True))
    ladder.confirm(urging[:2], "can.bo.thu", d2)  # 2 units urged
    for office in (qn, qn, hl):
        groups.do_form_group("Đoàn", office, "BHXH", AGENCIES, date(2025, 10, 1))
    g = groups.do_form_group("Đoàn", hl, "BHXH", AGENCIES, date(2025, 11, 1))
    v = groups.do_plan_visit(g, units[0], date(2025, 11, 20))
    groups.do_record_visit(v, date(2025, 11, 20), "committed", "Cam kết trả", "truong.doan",
                           schedule=[(date(2025, 12, 31), 2_000_000)])
    n = enforcement_numbers(date(2025, 10, 1), date(2025, 11, 30))
    assert (n["notices_sent"], n["units_noticed"], n["units_urged"]) == (8, 3, 2)
    assert n["notices_by_step"] == {"NOTICE": 3, "LATE_NOTICE": 3, "URGING": 2}
    assert (n["working_groups"], n["working_groups_province"], n["working_groups_grassroots"]) == (4, 2, 2)
    assert (n["visits_planned"], n["visits_done"], n["visits_by_outcome"]["committed"]) == (1, 1, 1)
    assert n["commitments"] == {"signed": 1, "kept": 0, "broken": 0, "active": 1}
    assert n["open_cases_by_step"] == {"URGING": 2, "LATE_NOTICE": 1}
    assert enforcement_numbers(date(2025, 12, 1), date(2025, 12, 31))["notices_sent"] == 0
