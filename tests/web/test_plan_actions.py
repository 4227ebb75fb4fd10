"""Plan actions in the web app, on the hand-built province of :mod:`tests.web.helpers` (QN over HL and CP;
2025 revenue plans QN 100,000,000, HL 60,000,000, CP 40,000,000; HL manages 2 units, CP 1).

* Upload: a CSV of 2026 targets QN 1,000,000,000, HL 600,000,000, CP 400,000,000 writes three targets
  (audited); the same file with CP at 399,000,000 is refused whole: ``plan.csv:4: value: … difference
  -1,000,000``, nothing written. A grassroots manager may upload only the targets of HL's points.
* Cascade by rule: HL's 2026 revenue 1,000,000,000 over its three points by last year's receipts
  3,000,000 : 2,000,000 : 1,000,000 → 500,000,000 + 333,333,333 + 166,666,667 (the largest remainder,
  4,000,000 of 6,000,000, goes to the third), summing exactly. The province's 2025 revenue over HL and CP
  by units managed (2 : 1) → 66,666,667 + 33,333,333.
* Evaluate: October 2025 for the offices freezes 2 rows as of 31 Oct 2025 with the comment.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sicollect.core.models import AuditEvent
from sicollect.core.months import Month
from sicollect.coverage.models import AgentReceipt, CollectionAgent
from sicollect.plans.models import Assignment, Evaluation, PlanTarget

from .. import factories as f
from .helpers import as_user

pytestmark = pytest.mark.django_db

GOOD = "year,office_code,indicator,value\n2026,QN,revenue,1000000000\n2026,HL,revenue,600000000\n2026,CP,revenue,400000000\n"


def upload(client: Any, text: str, name: str = "plan.csv") -> Any:
    return client.post("/plans/upload/", {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def three_points(qn: dict[str, Any]) -> list[CollectionAgent]:
    hl = qn["offices"]["HL"]
    person = f.person("2209000001")
    points = []
    for i, amount in enumerate((3_000_000, 2_000_000, 1_000_000), start=1):
        point = CollectionAgent.objects.create(code=f"HLP{i}", name=f"Điểm thu {i}", kind="commune_point",
                                               office=hl, commission_ppm=40_000)
        AgentReceipt.objects.create(agent=point, receipt_no=f"R{i}", person=person, product="BI",
                                    received_on=date(2025, 6, 1), from_month=Month(2025, 6), months=12,
                                    amount=amount)
        points.append(point)
    return points


def test_the_province_uploads_a_plan_file(qn: dict[str, Any]) -> None:
    client = as_user(qn, "prov")
    assert client.get("/plans/upload/").status_code == 200
    r = upload(client, GOOD)
    assert r.status_code == 302
    assert dict(PlanTarget.objects.filter(year=2026).values_list("office__code", "value")) == {
        "QN": 1_000_000_000, "HL": 600_000_000, "CP": 400_000_000}
    html = client.get(r["Location"]).content.decode()
    assert "plan.csv: 3" in html
    event = AuditEvent.objects.get(action="import_plans")
    assert event.actor == "prov" and event.detail["created"] == 3 and event.detail["years"] == [2026]
    html = client.get("/plans/cascade/?office=HL&year=2026").content.decode()
    assert "600.000.000" in html


def test_a_bad_plan_file_names_file_line_and_writes_nothing(qn: dict[str, Any]) -> None:
    client = as_user(qn, "prov")
    r = upload(client, GOOD.replace("400000000", "399000000"))
    assert r.status_code == 400 and "Có 1 lỗi; chưa ghi gì." in r.content.decode()  # Vietnamese first
    assert ("plan.csv:4: value: 2026 revenue: the 2 offices under QN sum to 999,000,000, the plan is "
            "1,000,000,000 (difference -1,000,000)") in r.content.decode()
    r = upload(client, GOOD + "2026,XX,revenue,5\n")
    assert r.status_code == 400 and "plan.csv:5: office_code: unknown office &#x27;XX&#x27;" in r.content.decode()
    r = upload(client, GOOD, name="plan.pdf")
    assert r.status_code == 400 and "plan.pdf: file:" in r.content.decode()
    assert PlanTarget.objects.filter(year=2026).count() == 0
    assert not AuditEvent.objects.filter(action="import_plans").exists()


def test_a_grassroots_manager_uploads_only_their_own_points(qn: dict[str, Any]) -> None:
    three_points(qn)
    client = as_user(qn, "hl_mgr")
    r = upload(client, "year,office_code,point_code,indicator,value\n2025,HL,,revenue,1\n2025,CP,,revenue,1\n")
    assert r.status_code == 400
    text = r.content.decode()
    assert "plan.csv:2: office_code: HL: you may plan only for the children of your own office" in text
    assert "plan.csv:3: office_code: CP:" in text
    assert PlanTarget.objects.get(year=2025, office__code="HL", indicator="revenue").value == 60_000_000
    r = upload(client, "year,office_code,point_code,indicator,value\n2025,HL,HLP1,revenue,30000000\n"
                       "2025,HL,HLP2,revenue,20000000\n2025,HL,HLP3,revenue,10000000\n")
    assert r.status_code == 302
    assert sorted(Assignment.objects.values_list("agent__code", "value")) == [
        ("HLP1", 30_000_000), ("HLP2", 20_000_000), ("HLP3", 10_000_000)]
    assert as_user(qn, "hl_off").post("/plans/upload/", {}).status_code == 403


def test_cascade_over_three_points_by_last_year_sums_exactly(qn: dict[str, Any]) -> None:
    three_points(qn)
    PlanTarget.objects.create(year=2026, office=qn["offices"]["HL"], indicator="revenue", value=1_000_000_000)
    client = as_user(qn, "hl_mgr")
    page = client.get("/plans/cascade/?office=HL&year=2026")
    assert page.status_code == 200 and "HLP3" in page.content.decode()
    r = client.post("/plans/cascade/", {"office": "HL", "year": "2026", "to": "points", "rule": "last_year",
                                        "indicator": "revenue"})
    assert r.status_code == 302
    got = dict(Assignment.objects.filter(year=2026).values_list("agent__code", "value"))
    assert got == {"HLP1": 500_000_000, "HLP2": 333_333_333, "HLP3": 166_666_667}
    assert sum(got.values()) == 1_000_000_000
    html = client.get(r["Location"]).content.decode()
    check = html[html.index('id="sum-check"'):]
    assert check.count("1.000.000.000") == 2 and ">0</td>" in check
    event = AuditEvent.objects.get(action="cascade_plan")
    assert event.actor == "hl_mgr" and event.object_id == "HL" and event.detail["before"] == {
        "HLP1": {}, "HLP2": {}, "HLP3": {}}
    assert event.detail["after"]["HLP3"] == {"revenue": 166_666_667}


def test_a_manual_cascade_that_does_not_sum_is_refused_whole(qn: dict[str, Any]) -> None:
    three_points(qn)
    PlanTarget.objects.create(year=2026, office=qn["offices"]["HL"], indicator="revenue", value=1_000_000_000)
    client = as_user(qn, "hl_mgr")
    values = {"v-HLP1-revenue": "500.000.000", "v-HLP2-revenue": "300,000,000", "v-HLP3-revenue": "199999999"}
    r = client.post("/plans/cascade/", {"office": "HL", "year": "2026", "to": "points", "rule": "manual",
                                        "indicator": "revenue", **values})
    assert r.status_code == 400
    assert ("2026 revenue: the 3 points under HL sum to 999,999,999, the plan is 1,000,000,000 "
            "(difference -1)") in r.content.decode()
    assert not Assignment.objects.exists() and not AuditEvent.objects.filter(action="cascade_plan").exists()
    values["v-HLP3-revenue"] = "200.000.000"
    r = client.post("/plans/cascade/", {"office": "HL", "year": "2026", "to": "points", "rule": "manual",
                                        "indicator": "revenue", **values})
    assert r.status_code == 302 and Assignment.objects.get(agent__code="HLP3").value == 200_000_000


def test_the_province_cascades_to_offices_and_the_scope_holds(qn: dict[str, Any]) -> None:
    r = as_user(qn, "prov").post("/plans/cascade/", {"office": "QN", "year": "2025", "to": "offices",
                                                     "rule": "units", "indicator": "revenue"})
    assert r.status_code == 302
    assert dict(PlanTarget.objects.filter(year=2025, office__parent__isnull=False, indicator="revenue")
                .values_list("office__code", "value")) == {"HL": 66_666_667, "CP": 33_333_333}
    hl = as_user(qn, "hl_mgr")
    assert hl.get("/plans/cascade/?office=CP").status_code == 404
    body = {"year": "2025", "to": "offices", "rule": "units", "indicator": "revenue"}
    assert hl.post("/plans/cascade/", {"office": "QN", **body}).status_code == 404
    assert hl.post("/plans/cascade/", {"office": "CP", **body}).status_code == 404
    assert as_user(qn, "hl_off").post("/plans/cascade/", {"office": "HL", **body}).status_code == 403
    assert PlanTarget.objects.get(year=2025, office__code="CP", indicator="revenue").value == 33_333_333


def test_evaluate_a_month_and_list_the_evaluations(qn: dict[str, Any]) -> None:
    client = as_user(qn, "prov")
    r = client.post("/plans/evaluations/", {"period": "2025-10", "level": "office", "office": "",
                                            "comment": "Cẩm Phả cần đẩy nhanh thu"})
    assert r.status_code == 302
    e = Evaluation.objects.get()
    assert (e.kind, e.period, e.as_of, e.made_by, e.office) == ("month", "2025-10", date(2025, 10, 31), "prov", None)
    assert [row["code"] for row in e.figures] == ["HL", "CP"] or [row["code"] for row in e.figures] == ["CP", "HL"]
    hl_row = next(row for row in e.figures if row["code"] == "HL")
    assert hl_row["revenue"]["ytd"] == 3_200_000 and hl_row["revenue"]["pct"] == 5.33
    assert AuditEvent.objects.get(action="evaluate_plan").detail["rows"] == 2
    html = client.get("/plans/evaluations/").content.decode()
    assert "Cẩm Phả cần đẩy nhanh thu" in html and "31/10/2025" in html
    r = client.post("/plans/evaluations/", {"period": "2025-13", "level": "office"})
    assert r.status_code == 400 and "period: expected YYYY-MM or YYYY-Qn" in r.content.decode()
    assert Evaluation.objects.count() == 1


def test_a_grassroots_manager_evaluates_their_own_officers_only(qn: dict[str, Any]) -> None:
    client = as_user(qn, "hl_mgr")
    assert client.post("/plans/evaluations/", {"period": "2025-Q3", "level": "office"}).status_code == 400
    assert client.post("/plans/evaluations/", {"period": "2025-Q3", "level": "officer",
                                               "office": "CP"}).status_code == 404
    r = client.post("/plans/evaluations/", {"period": "2025-Q3", "level": "officer", "office": "HL"})
    assert r.status_code == 302
    e = Evaluation.objects.get()
    assert e.office.code == "HL" and sorted(row["code"] for row in e.figures) == ["hl_off", "hl_off2"]
    assert as_user(qn, "hl_off").post("/plans/evaluations/", {"period": "2025-Q3", "level": "officer"}).status_code == 403
    Evaluation.objects.create(kind="month", period="2025-10", level="officer", office=qn["offices"]["CP"],
                              as_of=date(2025, 10, 31), figures=[], comment="CP only", made_by="cp_mgr")
    assert "CP only" not in client.get("/plans/evaluations/").content.decode()
