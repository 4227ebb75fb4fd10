"""Discovery: who works without SI, and which units declare less than they pay.

Record linkage (Splink, DuckDB backend)
---------------------------------------
Other sources name people without an SI number: HI household lists, the tax
authority's lists of employees with personal income tax withheld, labour
inspections. :func:`link_persons` links two such lists with Splink's
Fellegi–Sunter model: names are compared folded to ASCII capitals (so
``Nguyễn Thị Hoa`` = ``NGUYEN THI HOA``) with Jaro–Winkler, the given name
(the last word: in Vietnamese the one that tells people apart, with term
frequency adjustment, since "Nguyễn" tells nothing) exactly, birth dates
exactly or within a day/month/year swap, sex and commune exactly. Candidate
pairs come from three blocking rules (same birth date; same given name and
birth year; same family and given name and commune) so a typo in one field
does not lose the pair. u-probabilities are estimated from random pairs,
m-probabilities by expectation maximisation; pairs at or above ``threshold``
are kept one-to-one, best first.

:func:`working_without_si` turns a list of people with their employer's tax
code into leads: people linked to nobody insured, or linked to a person not
declared by a unit of that tax code in the month.

Under-declaration signals
-------------------------
:func:`under_declaration` ranks units whose employees are declared at the
regional minimum wage month after month while the unit's average declared
wage, in multiples of the floor, is far below the median of its sector (the
VSIC division, two digits, from the latest tax list; the ownership type when
the unit is not on one). Worked example: a construction unit (VSIC 41) in
region I declares 10 employees at 4,960,000 for 24 months (floor share
100 %, 1.0 × the floor) where the sector's median unit declares 2.0 × the
floor: the gap is (2.0 − 1.0) × 4,960,000 × 10 = 49,600,000 a month of wages,
about 15,872,000 a month of contributions at 32 % (employer 21.5 % +
employee 10.5 %). The evidence (months, share at floor, average, median,
headcount, the gap) goes with every line of the worklist.
"""
from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sicollect.contributions.assessment import effective_rows
from sicollect.contributions.posting import row_of
from sicollect.core.months import Month, month_range
from sicollect.core.optional import require
from sicollect.registry.models import Participation, Person, Unit
from sicollect.rules.book import RuleBook, load_rulebook

from .bank import ascii_upper
from .models import BatchKind, TaxEnterprise

#: employer + employee, all funds (RULES.md §1): what a wage gap costs the funds
TOTAL_RATE_PPM = 320_000


# --------------------------------------------------------------------------- linkage


@dataclass(frozen=True)
class PersonRecord:
    """A person as a source names them; ``uid`` is the source's own key."""

    uid: str
    full_name: str
    birth_date: date | None
    sex: str = ""
    commune: str = ""
    employer_tax_code: str = ""


@dataclass(frozen=True)
class Link:
    left: str
    right: str
    probability: float
    weight: float
    evidence: dict[str, Any]


def _prepared(records: Iterable[PersonRecord]) -> list[dict[str, Any]]:
    out = []
    for r in records:
        words = "".join(c if c.isalnum() else " " for c in ascii_upper(r.full_name)).split()
        out.append({
            "unique_id": r.uid,
            "name": " ".join(words) or None,
            "family": words[0] if words else None,
            "given": words[-1] if words else None,
            "birth_date": r.birth_date.isoformat() if r.birth_date else None,
            "birth_year": r.birth_date.year if r.birth_date else None,
            "sex": r.sex or None,
            "commune": r.commune or None,
        })
    return out


def link_persons(left: Sequence[PersonRecord], right: Sequence[PersonRecord], threshold: float = 0.9,
                 seed: int = 1) -> list[Link]:
    """One-to-one links between two lists of people with no shared key (see the module docstring)."""
    if not left or not right:
        return []
    require("splink", "record linkage (sicollect discover unregistered)")
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db = DuckDBAPI()
    a = db.register(_prepared(left), table_name="left_source")
    b = db.register(_prepared(right), table_name="right_source")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.ExactMatch("given").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("commune"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"), block_on("given", "birth_year"), block_on("family", "given", "commune"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    quiet = logging.getLogger("splink")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Splink reports every training step and untrainable level at WARNING/INFO
    try:
        linker = Linker([a, b], settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match([block_on("birth_date", "given")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=2e5, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given", "birth_year"))
        pairs = linker.inference.predict(threshold_match_probability=threshold).as_record_list()
    finally:
        quiet.setLevel(level)
    pairs.sort(key=lambda r: (-r["match_weight"], str(r["unique_id_l"]), str(r["unique_id_r"])))
    used_l: set[str] = set()
    used_r: set[str] = set()
    links = []
    for r in pairs:
        lid, rid = str(r["unique_id_l"]), str(r["unique_id_r"])
        if r["source_dataset_l"] != "left_source":
            lid, rid = rid, lid
        if lid in used_l or rid in used_r:
            continue
        used_l.add(lid)
        used_r.add(rid)
        links.append(Link(lid, rid, float(r["match_probability"]), float(r["match_weight"]), {
            "name": (r.get("name_l"), r.get("name_r")), "birth_date": (r.get("birth_date_l"), r.get("birth_date_r")),
            "commune": (r.get("commune_l"), r.get("commune_r")),
        }))
    return links


def registry_records(persons: Iterable[Person] | None = None) -> list[PersonRecord]:
    persons = persons if persons is not None else Person.objects.select_related("commune")
    return [PersonRecord(p.si_code, p.full_name, p.birth_date, p.sex, p.commune.code if p.commune else "")
            for p in persons]


@dataclass
class Lead:
    record: PersonRecord
    reason: str
    linked_si_code: str = ""
    probability: float = 0.0
    units: list[str] = field(default_factory=list)


def working_without_si(records: Sequence[PersonRecord], month: Month, threshold: float = 0.9) -> list[Lead]:
    """People an outside list says work for an employer (``employer_tax_code``) who are not insured there."""
    links = {ln.right: ln for ln in link_persons(registry_records(), records, threshold)}
    rows: dict[str, list[Any]] = defaultdict(list)
    for p in Participation.objects.select_related("person", "unit"):
        rows[p.person.si_code].append((p.unit.tax_code, p.unit.code, row_of(p)))
    leads = []
    for r in records:
        link = links.get(r.uid)
        if link is None:
            leads.append(Lead(r, "no insured person matches"))
            continue
        insured_at = []
        for tax_code, code, row in rows.get(link.left, []):
            if tax_code == r.employer_tax_code and row.covers(month):
                eff = effective_rows([x[2] for x in rows[link.left] if x[1] == code], month, month.last_day)
                if any(e.wage > 0 for e in eff.values()):
                    insured_at.append(code)
        if not insured_at:
            units = sorted({code for _, code, row in rows.get(link.left, []) if row.covers(month)})
            leads.append(Lead(r, f"insured as {link.left} but not by an employer of tax code "
                                 f"{r.employer_tax_code} in {month}", link.left, link.probability, units))
    return leads


# --------------------------------------------------------------------------- under-declaration


@dataclass
class Signal:
    unit: str
    name: str
    sector: str
    score: int  # estimated contributions missing per month, đồng: the rank
    evidence: dict[str, Any]


def _sectors(units: Sequence[Unit]) -> dict[int, str]:
    """unit id → VSIC division from the latest tax list that names it, else ``ownership:…``."""
    industry: dict[str, str] = {}
    for code, ind in (TaxEnterprise.objects.filter(batch__kind=BatchKind.TAX).exclude(industry="")
                      .order_by("batch_id").values_list("tax_code", "industry")):
        industry[code] = ind
    return {u.pk: (f"VSIC {industry[u.tax_code][:2]}" if u.tax_code in industry else f"ownership:{u.ownership}")
            for u in units}


def under_declaration(as_of: Month, years: int = 2, min_floor_share: float = 0.6, max_ratio_of_median: float = 0.7,
                      book: RuleBook | None = None) -> list[Signal]:
    """Units mostly declared at the floor for ``years`` and far below their sector's median (module docstring)."""
    book = book or load_rulebook()
    months = month_range(as_of - (12 * years - 1), as_of)  # type: ignore[arg-type]
    units = list(Unit.objects.all())
    rows: dict[int, list[Any]] = defaultdict(list)
    for p in Participation.objects.filter(from_month__lte=as_of):
        rows[p.unit_id].append(row_of(p))
    stats: dict[int, dict[str, Any]] = {}
    for u in units:
        person_months = at_floor = 0
        months_declared = 0
        ratios = []
        for m in months:
            eff = [r for r in effective_rows(rows.get(u.pk, []), m, m.last_day).values() if r.wage > 0]
            if not eff:
                continue
            floor = book.floor(u.region, m)
            months_declared += 1
            person_months += len(eff)
            at_floor += sum(1 for r in eff if r.wage <= floor)
            ratios.append(sum(r.wage for r in eff) / len(eff) / floor)
        if not person_months:
            continue
        last = [r for r in effective_rows(rows.get(u.pk, []), as_of, as_of.last_day).values() if r.wage > 0]
        stats[u.pk] = {
            "months": months_declared, "person_months": person_months, "at_floor": at_floor,
            "floor_share": at_floor / person_months, "ratio": statistics.fmean(ratios),
            "headcount": len(last), "wage_bill": sum(r.wage for r in last), "floor": book.floor(u.region, as_of),
        }
    sectors = _sectors(units)
    by_sector: dict[str, list[float]] = defaultdict(list)
    for pk, s in stats.items():
        by_sector[sectors[pk]].append(s["ratio"])
    province = statistics.median([s["ratio"] for s in stats.values()]) if stats else 0.0
    signals = []
    names = {u.pk: u for u in units}
    for pk, s in stats.items():
        peers = by_sector[sectors[pk]]
        median = statistics.median(peers) if len(peers) >= 3 else province
        basis = "sector" if len(peers) >= 3 else "province (sector has fewer than 3 units)"
        if s["floor_share"] < min_floor_share or s["ratio"] > max_ratio_of_median * median or not s["headcount"]:
            continue
        gap_wages = round((median - s["ratio"]) * s["floor"] * s["headcount"])
        gap = gap_wages * TOTAL_RATE_PPM // 1_000_000
        u = names[pk]
        signals.append(Signal(u.code, u.name, sectors[pk], gap, {
            "months_declared": s["months"], "employee_months": s["person_months"],
            "employee_months_at_floor": s["at_floor"], "floor_share": round(s["floor_share"], 3),
            "average_wage_in_floors": round(s["ratio"], 3), "median_in_floors": round(median, 3),
            "median_of": basis, "peers": len(peers), "headcount": s["headcount"], "wage_bill": s["wage_bill"],
            "regional_floor": s["floor"], "wage_gap_per_month": gap_wages,
            "contribution_gap_per_month": gap,
        }))
    signals.sort(key=lambda x: (-x.score, x.unit))
    return signals
