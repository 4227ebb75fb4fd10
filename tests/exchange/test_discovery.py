"""Discovery: Splink links people across sources; under-declaration as a ranked worklist with evidence."""
from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sicollect.core.months import Month
from sicollect.exchange.discovery import (
    PersonRecord,
    link_persons,
    under_declaration,
    working_without_si,
)
from sicollect.exchange.taxsync import do_import_tax_list
from sicollect.registry.models import Person

from .. import factories as f
from .helpers import named_unit, write_csv
from .population import two_sources


def test_splink_links_a_synthetic_population_at_95_percent_precision_and_recall() -> None:
    """2,000 people; a registry holds ~80 % of them, a HI household list ~70 % with noisy names
    (no diacritics, typos), swapped birth days and moved communes; ~1,100 true pairs."""
    left, right, truth = two_sources(2000, seed=7)
    links = link_persons(left, right, threshold=0.9)
    found = {(ln.left, ln.right) for ln in links}
    true_positives = len(found & truth)
    precision = true_positives / len(found)
    recall = true_positives / len(truth)
    print(f"\nSplink linkage: {len(left)} × {len(right)} records, {len(truth)} true pairs, {len(found)} links: "
          f"precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95 and recall >= 0.95
    assert all(0.9 <= ln.probability <= 1 for ln in links)


@pytest.mark.django_db
def test_people_on_an_employer_list_who_are_not_insured_there_are_leads() -> None:
    u = named_unit("TQN00012", "Công ty TNHH Xây dựng Hạ Long", tax_code="5701234567")
    other = named_unit("TQN00013", "Công ty Cổ phần Than Cẩm Phả", tax_code="5700000013")
    people = [("3101000001", "Nguyễn Văn An", date(1990, 5, 1)), ("3101000002", "Trần Thị Bình", date(1988, 2, 3)),
              ("3101000003", "Lê Hữu Cường", date(1979, 11, 30))]
    for si, name, born in people:
        Person.objects.create(si_code=si, full_name=name, birth_date=born, sex="M")
    f.participation(u, Person.objects.get(si_code="3101000001"), "2025-01", None, 8_000_000)
    f.participation(other, Person.objects.get(si_code="3101000003"), "2025-01", None, 8_000_000)
    pit = [  # the tax authority's list of employees with income tax withheld by 5701234567
        PersonRecord("T1", "NGUYEN VAN AN", date(1990, 5, 1), "M", employer_tax_code="5701234567"),
        PersonRecord("T2", "Tran Thi Binh", date(1988, 2, 3), "M", employer_tax_code="5701234567"),
        PersonRecord("T3", "Le Huu Cuong", date(1979, 11, 30), "M", employer_tax_code="5701234567"),
        PersonRecord("T4", "Pham Quang Dung", date(2000, 1, 1), "M", employer_tax_code="5701234567"),
    ]
    leads = {lead.record.uid: lead for lead in working_without_si(pit, Month(2025, 9), threshold=0.5)}
    assert set(leads) == {"T2", "T3", "T4"}  # T1 is insured by the unit; T3 only by another one
    assert leads["T3"].linked_si_code == "3101000003" and leads["T3"].units == ["TQN00013"]
    assert leads["T4"].reason == "no insured person matches"


@pytest.mark.django_db
def test_a_unit_at_the_floor_for_years_below_its_sector_tops_the_worklist(tmp_path: Path) -> None:
    """Region I, floor 4,680,000 until June 2024, 4,960,000 from July 2024. Construction (VSIC 41): four units pay
    about twice the floor; TQN00099 declares its 10 employees at the floor for two years. Mining
    (VSIC 05) units all declare at the floor: the sector's own median, so no signal there."""
    builders = {"TQN00001": 2.0, "TQN00002": 1.8, "TQN00003": 2.2, "TQN00004": 2.0, "TQN00099": 1.0}
    miners = {"TQN00201": 1.0, "TQN00202": 1.0, "TQN00203": 1.0}
    lines = ["tax_code,name,status,industry"]
    for n, (code, times) in enumerate({**builders, **miners}.items()):
        u = f.unit(code, tax_code=f"57000{n:05d}")
        lines.append(f"57000{n:05d},{code},active,{'4100' if code in builders else '0510'}")
        for _ in range(10):  # each wage follows the regional minimum (4,680,000, then 4,960,000 from Jul 2024)
            p = f.person()
            f.participation(u, p, "2023-10", "2024-06", round(4_680_000 * times), "SI+HI+UI+OADI")
            f.participation(u, p, "2024-07", None, round(4_960_000 * times), "SI+HI+UI+OADI")
    do_import_tax_list(write_csv(tmp_path / "dn.csv", "\n".join(lines)))
    signals = under_declaration(Month(2025, 9), years=2)
    assert [s.unit for s in signals] == ["TQN00099"]
    top = signals[0]
    assert top.sector == "VSIC 41"
    ev = top.evidence
    assert (ev["months_declared"], ev["employee_months"], ev["floor_share"]) == (24, 240, 1.0)
    assert (ev["average_wage_in_floors"], ev["median_in_floors"], ev["headcount"]) == (1.0, 2.0, 10)
    assert ev["wage_gap_per_month"] == 49_600_000 and top.score == 15_872_000
    out = StringIO()
    call_command("discover", "underdeclared", "--as-of", "2025-09", stdout=out)
    assert "TQN00099" in out.getvalue() and "15.872.000" in out.getvalue()
