"""The small demo's KPI report reads like the articles (shared/context/): each figure in a stated range.

Quang Ninh, 30 Sep 2025: revenue 74.43 % of plan, interest-bearing debt 2.39 %, SI 93.53 % of plan and
50.36 % of the labour force (compulsory 92.93 %, voluntary 97.23 %: 46,300 of 321,779), UI 93.3 %, HI
97.52 % of plan and 95.75 % of the population, notices to 521 late units, 11 working groups (2 at the
province office, 9 at grassroots offices). Hai Phong, 31 Aug 2025: revenue 65.76 %, late payment
4.41 % of the plan, interest-bearing 2.48 %. The ranges below are wide enough for any seed and for a
change of when a month's dues fall (the figures are not a copy of the articles), narrow enough that a
demo without voluntary SI, with coverage over 100 % or without enforcement fails.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from sicollect.core.months import Month
from sicollect.coverage.areas import by_commune, by_office
from sicollect.coverage.models import AgentReceipt, CollectionAgent
from sicollect.demo.generator import generate
from sicollect.registry.models import Office, Unit
from sicollect.reports.kpi import kpi
from sicollect.rules.book import default_rulebook

QUANG_NINH = date(2025, 9, 30)
HAI_PHONG = date(2025, 8, 31)

#: figure → (low, high), inclusive; percentages as the report gives them
RANGES: dict[str, tuple[float, float]] = {
    "revenue.pct_of_plan": (55.0, 85.0),  # 74.43 % (QN, Sep), 65.76 % (HP, Aug)
    "debt.outstanding_pct_of_plan": (2.0, 9.0),  # 4.41 % (HP)
    "debt.interest_bearing_pct_of_plan": (1.5, 5.0),  # 2.39 % (QN), 2.48 % (HP)
    "participants.si_total.pct_of_plan": (85.0, 100.0),  # 93.53 %
    "participants.si_compulsory.pct_of_plan": (85.0, 100.0),  # 92.93 %
    "participants.si_voluntary.pct_of_plan": (85.0, 100.0),  # 97.23 %
    "participants.ui.pct_of_plan": (85.0, 100.0),  # 93.3 %
    "participants.hi.pct_of_plan": (90.0, 100.0),  # 97.52 %
    "coverage.hi_pct_population": (88.0, 99.5),  # 95.75 %
    "coverage.si_pct_labour_force": (40.0, 65.0),  # 50.36 %
}


def figure(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[date, dict[str, Any]]]:
    """``sicollect demo --scale small --seed 1`` once for the module (rolled back), its KPI on both days."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", scale="small", seed=1, verbosity=0)
        yield {day: kpi(day) for day in (QUANG_NINH, HAI_PHONG)}
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(RANGES))
@pytest.mark.parametrize("day", [QUANG_NINH, HAI_PHONG])
def test_each_kpi_of_the_demo_is_in_the_articles_range(demo: dict[date, dict[str, Any]], day: date, path: str) -> None:
    low, high = RANGES[path]
    assert low <= figure(demo[day], path) <= high, (day, path, figure(demo[day], path))


@pytest.mark.django_db
def test_counts_growth_and_shares_read_like_the_articles(demo: dict[date, dict[str, Any]]) -> None:
    for data in demo.values():
        r, p = data["revenue"], data["participants"]
        assert r["change_vs_last_year"] > 0 and r["change_vs_previous_month"] > 0  # both articles: up
        assert 0 < data["debt"]["interest_bearing"] < data["debt"]["outstanding_total"]
        assert 0 < data["debt"]["units_late_2_months_or_more"] <= data["debt"]["units_late"]
        # voluntary SI: 46,300 of 321,779 in Quang Ninh (14.4 %)
        assert 0.05 <= p["si_voluntary"]["count"] / p["si_total"]["count"] <= 0.25
        assert p["si_total"]["count"] == p["si_compulsory"]["count"] + p["si_voluntary"]["count"]
        assert p["si_total"]["change_vs_previous_year_end"] > 0  # "+16,500 compared to the end of 2024"
        # HI: employees and household lists, several times the insured employees (1.3 M vs 275,500)
        assert 3 * p["si_compulsory"]["count"] <= p["hi"]["count"]


@pytest.mark.django_db
def test_notices_and_working_groups(demo: dict[date, dict[str, Any]]) -> None:
    """One notice on 30 Sep to each late unit with an arrears case (class IV, missing or closed units, has
    none), none before; 11 working groups, 2 at the province office and one per grassroots office."""
    sep, aug = demo[QUANG_NINH], demo[HAI_PHONG]
    e = sep["enforcement"]
    class_iv = sum(v["units"] for k, v in sep["debt"]["by_class"].items() if k.startswith("IV"))
    assert e["notices_sent"] == e["units_noticed"] == sep["debt"]["units_late"] - class_iv
    assert 0.05 <= e["notices_sent"] / Unit.objects.count() <= 0.25  # 521 notices in Quang Ninh
    assert (e["working_groups"], e["working_groups_province"], e["working_groups_grassroots"]) == (11, 2, 9)
    assert aug["enforcement"]["notices_sent"] == 0 and aug["enforcement"]["working_groups"] == 11  # formed mid-August
    hl = kpi(QUANG_NINH, Office.objects.get(code="HL"))["enforcement"]
    assert hl["working_groups"] == 1 and 0 < hl["notices_sent"] < e["notices_sent"]


@pytest.mark.django_db
@pytest.mark.parametrize("day", [date(2024, 6, 30), QUANG_NINH, date(2025, 12, 31)])
def test_coverage_is_at_most_the_communes_figures_and_voluntary_si_everywhere(demo: Any, day: date) -> None:
    communes = by_commune(day)
    assert len(communes) == 27
    for c in communes:
        assert c.hi_pct is not None and c.hi_pct <= 100.0, (c.code, c.hi_pct)
        assert c.si_pct is not None and c.si_pct <= 100.0, (c.code, c.si_pct)
        assert c.si_voluntary > 0, c.code
    assert all(o.si_voluntary > 0 and 85 <= (o.hi_pct or 0) <= 100 for o in by_office(day))


@pytest.mark.django_db
def test_agents_collect_voluntary_si_and_household_hi(demo: Any) -> None:
    points = CollectionAgent.objects.filter(kind="commune_point")
    assert points.count() == 27 and CollectionAgent.objects.filter(kind="post_office").count() == 9
    products = Counter(AgentReceipt.objects.values_list("product", flat=True))
    assert products["IS"] > 0 and products["BI"] > 0 and products["AR"] > 0
    # every collection point took money in 2025; a few receipts are not yet remitted at the year end
    took = set(AgentReceipt.objects.filter(received_on__year=2025).values_list("agent__code", flat=True))
    assert {a.code for a in points} <= took
    assert AgentReceipt.objects.filter(remitted_on__isnull=True).exists()


@pytest.mark.parametrize("seed", [2, 3])
def test_coverage_bound_holds_for_other_seeds(seed: int) -> None:
    """In memory (no database): for any seed, in every commune and month, the insured (employees and
    voluntary payers) stay within the labour force and the HI-covered within the population."""
    p = generate("small", seed, default_rulebook())
    commune = {x.si_code: x.commune for x in [*p.persons, *p.residents]}
    for month in (Month(2024, 1), Month(2024, 12), Month(2025, 9), Month(2025, 12)):
        si: dict[str, set[str]] = defaultdict(set)
        hi: dict[str, set[str]] = defaultdict(set)
        for r in p.participations:
            if r.from_month <= month and (r.to_month is None or month <= r.to_month):
                si[commune[r.si_code]].add(r.si_code)
                hi[commune[r.si_code]].add(r.si_code)
        for v in p.voluntary:
            if v.from_month <= month and (v.to_month is None or month <= v.to_month):
                si[commune[v.si_code]].add(v.si_code)
        for m in p.members:
            if m.from_month <= month and (m.to_month is None or month <= m.to_month):
                hi[commune[m.si_code]].add(m.si_code)
        for c in p.communes:
            assert len(si[c.code]) <= c.labour_force and len(hi[c.code]) <= c.population, (seed, month, c.code)
        assert sum(len(v) for v in hi.values()) > 0.85 * sum(c.population for c in p.communes)
