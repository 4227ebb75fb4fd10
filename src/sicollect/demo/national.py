"""The national demo (``sicollect demo --scale national``), generated column-wise and written with COPY.

The row-wise generator (:mod:`.generator`) makes one Python object per person, participation and
payment and computes each unit's dues with the reference calculator: ~4,000 persons/s, ~90 min for
20 million. Here a province is a handful of numpy arrays: every draw of the row-wise generator is made
for all units (or all persons) at once from a ``numpy.random.Generator`` seeded with ``(seed, i)``, the
dues are summed per unit × month × fund with the same integer rounding as
:func:`sicollect.contributions.assessment.assess`, the payments follow the same behaviours, and the
tables are turned into CSV by Arrow (C++) and streamed to PostgreSQL's ``COPY`` in slices of
:data:`SLICE` rows, so memory is one province's arrays whatever the number of provinces.

Same shape as the province demo (same unit mix, statuses, ownerships, sizes, regions, payment cycles,
wage bands, joiners and leavers, late registrations, retroactive raises, late payers), with these
differences (docs/scale.md, "The national generator"):

* 12 months, 2025-01 … 2025-12 (:data:`FIRST` … :data:`LAST`), not 24: the raises fall in 2025;
* not the same rows as :func:`.generator.iter_province` for a seed (another random generator, drawn
  column by column); same seed → same rows here;
* no calibration of the late payers (the behaviour mix is the province's before calibration), no
  people outside employers, plans only for the receivable and the participants;
* unit names are drawn from the same words but not made unique within a province.
"""
from __future__ import annotations

import io
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sicollect.core.months import Month
from sicollect.core.optional import require
from sicollect.rules.book import RuleBook
from sicollect.rules.funds import Fund

from . import generator as g

try:  # the scale set (requirements-scale.txt): the app imports this module without it; write_national needs it
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
except ModuleNotFoundError:  # pragma: no cover - exercised by tests/demo/test_first_run.py in a subprocess
    np = pa = pc = pacsv = None  # type: ignore[assignment]

FIRST = Month(2025, 1)
LAST = Month(2025, 12)
MONTHS = 12
AS_OF = LAST.last_day
EPOCH = date(1970, 1, 1)
#: Rows per COPY slice (one Arrow → CSV conversion, one ``copy.write``).
SLICE = 100_000
#: A province of the national scale: 10,000 units and 400,000 persons (the ``province400`` shape).
UNITS = 10_000
PERSONS_PER_UNIT = 40
PROVINCES = 50


def _days(d: date) -> int:
    return (d - EPOCH).days


def _month_first(m: np.ndarray) -> np.ndarray:
    """Days since 1970 of the first day of month index ``m`` (0 = 2025-01) — vectorised."""
    table = np.array([_days((FIRST + k).first_day) for k in range(MONTHS + 1)], dtype=np.int32)
    return table[m]


def _month_last(m: np.ndarray) -> np.ndarray:
    table = np.array([_days((FIRST + k).last_day) for k in range(MONTHS)], dtype=np.int32)
    return table[m]


def _month_of_day(days: np.ndarray) -> np.ndarray:
    """Month index (0 = 2025-01, negative before) of each day number."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return (months - ((FIRST.year - 1970) * 12 + FIRST.month - 1)).astype(np.int32)


def _round_to(x: np.ndarray, unit: int) -> np.ndarray:
    """``round(x / unit) * unit`` as Python's ``round`` (halves to even), in int64."""
    return (np.round(x / unit) * unit).astype(np.int64)


def _deal(rng: np.random.Generator, shares: tuple[tuple[str, int], ...], n: int) -> np.ndarray:
    """Indexes into ``shares``, ``n`` of them in exactly the proportions of :func:`.generator._deal`."""
    labels = [label for label, _ in shares]
    counts: dict[str, int] = dict.fromkeys(labels, 0)
    for label in g._deal(_NoShuffle(), shares, n):  # the row-wise counts, not its order
        counts[label] += 1
    deck = np.repeat(np.arange(len(labels)), [counts[label] for label in labels])
    return rng.permutation(deck)


class _NoShuffle:
    def shuffle(self, x: list[Any]) -> None:
        pass


def _pick(rng: np.random.Generator, weights: list[float] | np.ndarray, n: int) -> np.ndarray:
    """``n`` weighted choices (indexes), as ``random.choices`` with cumulative weights."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cum, rng.random(n) * cum[-1], side="right").astype(np.int32)


def _apportion(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """:func:`.generator._apportion`, vectorised: integers ∝ ``weights`` summing to ``total``."""
    spare = total - minimum * len(weights)
    exact = spare * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: spare - int(counts.sum())]] += 1
    return counts + minimum


def _str(values: np.ndarray | list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _digits(values: np.ndarray, width: int) -> pa.Array:
    """Integers as zero-padded decimal strings (Arrow: no Python string per row)."""
    return pc.utf8_lpad(pc.cast(pa.array(values, pa.int64()), pa.string()), width, padding="0")


def _date(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days).astype(np.int32), pa.date32(), mask=mask)


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _lookup(words: list[str], index: np.ndarray) -> pa.Array:
    return _str(words).take(pa.array(index, pa.int32()))


@dataclass
class Rules:
    """What the dues and deadlines need from the rule book, month by month over :data:`FIRST` … :data:`LAST`."""

    floor: np.ndarray  # [region 0..4, month]
    base: np.ndarray  # [month]
    cap_all: np.ndarray  # [region, month]: SI, HI, OADI
    cap_ui: np.ndarray  # [region, month]
    rates: np.ndarray  # [month, 5]: SI_LT, SI_ST, HI, OADI standard, OADI low risk
    rate_ui: np.ndarray  # [month]
    deadline: np.ndarray  # [cycle 0..6, month]: days, for the cycle ending that month

    @classmethod
    def of(cls, book: RuleBook) -> Rules:
        months = [FIRST + k for k in range(MONTHS)]
        floor = np.zeros((5, MONTHS), dtype=np.int64)
        cap_all = np.zeros((5, MONTHS), dtype=np.int64)
        cap_ui = np.zeros((5, MONTHS), dtype=np.int64)
        for r in range(1, 5):
            for k, m in enumerate(months):
                floor[r, k] = book.floor(r, m)
                cap_all[r, k] = book.cap(Fund.SI_LT, r, m)
                assert all(book.cap(f, r, m) == cap_all[r, k] for f in (Fund.SI_ST, Fund.HI, Fund.OADI))
                cap_ui[r, k] = book.cap(Fund.UI, r, m)
        rates = np.array([[book.rate_ppm(Fund.SI_LT, m), book.rate_ppm(Fund.SI_ST, m), book.rate_ppm(Fund.HI, m),
                           book.rate_ppm(Fund.OADI, m), book.rate_ppm(Fund.OADI, m, low_risk=True)]
                          for m in months], dtype=np.int64)
        deadline = np.zeros((7, MONTHS), dtype=np.int32)
        for cycle in (1, 3, 6):
            for k, m in enumerate(months):
                deadline[cycle, k] = _days(book.deadline(cycle, m))
        return cls(floor, np.array([book.base(m) for m in months], dtype=np.int64), cap_all, cap_ui, rates,
                   np.array([book.rate_ppm(Fund.UI, m) for m in months], dtype=np.int64), deadline)


def _amount(base: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """:func:`sicollect.core.money.apply_rate` for non-negative int64 bases: half up, to the đồng."""
    return (base * rate + 500_000) // 1_000_000


@dataclass
class ProvinceData:
    """One province's tables as Arrow tables (columns named as the database's), plus what the plans need."""

    units: pa.Table
    persons: pa.Table
    participations: pa.Table
    payments: pa.Table
    unit_office: np.ndarray  # office index (0..8) of each unit
    assessed_2025: np.ndarray  # [office]: the year's dues as declared by its end
    heads: dict[str, np.ndarray]  # si / ui: December participants per office
    late_ratio: dict[date, float]  # late principal ÷ the 2025 receivable (dues × 1.02) on the check days
    arising: np.ndarray  # [unit, month]: what each unit owes by the month it arises in (dues and adjustments)


OWNERS = tuple(o for o, _ in g.OWNERSHIP_SHARES)
STATUSES = tuple(s for s, _ in g.STATUS_SHARES)
BEHAVIOURS = g.BEHAVIOURS
CYCLE_VALUES = [c for c, _ in g.AGRI_CYCLES]


def generate_province(seed: int, index: int, rules: Rules, communes: list[g.CommuneRec], units: int = UNITS,
                      persons: int | None = None, prefix: str = "", created_at: str = "") -> ProvinceData:
    """Province ``index`` of the national demo, column by column (see the module's docstring)."""
    rng = np.random.default_rng([seed, index])
    n = units
    persons = persons if persons is not None else units * PERSONS_PER_UNIT

    # --- units ----------------------------------------------------------------------------------------
    status = _deal(rng, g.STATUS_SHARES, n)
    active = status == 0
    behaviour = np.full(n, BEHAVIOURS.index("stopped"), dtype=np.int32)
    behaviour[active] = _deal(rng, g.BEHAVIOUR_SHARES, int(active.sum()))
    office = _pick(rng, [o.unit_weight for o in g.OFFICES], n)
    owner_active = _pick(rng, [w for _, w in g.OWNERSHIP_SHARES], n)
    closing = [OWNERS.index(o) for o, _ in g.CLOSING_OWNERSHIP]
    owner_closing = np.array(closing)[_pick(rng, [w for _, w in g.CLOSING_OWNERSHIP], n)]
    owner = np.where(active, owner_active, owner_closing).astype(np.int32)
    agri = rng.random(n) < np.array([g.AGRI_SHARE.get(o, 0.0) for o in OWNERS])[owner]
    cycle = np.where(agri, np.array(CYCLE_VALUES, dtype=np.int32)[_pick(rng, [w for _, w in g.AGRI_CYCLES], n)], 1).astype(np.int32)
    region = np.zeros(n, dtype=np.int32)
    draw = rng.random(n)
    for k, o in enumerate(g.OFFICES):
        values = np.array([r for r, _ in o.regions])
        cum = np.cumsum([w for _, w in o.regions], dtype=np.float64)
        here = office == k
        region[here] = values[np.searchsorted(cum, draw[here] * cum[-1], side="right")]
    # registration: new units (active, 8 %) in 2024-01 … 2025-09, others long before
    new = active & (rng.random(n) < g.NEW_UNIT_SHARE)
    lo = np.where(new, _days(date(2024, 1, 1)), _days(date(2000, 1, 1)))
    hi = np.where(new, _days(date(2025, 9, 30)), np.where(active, _days(date(2023, 12, 31)), _days(date(2022, 12, 31))))
    registered = (lo + np.floor(rng.random(n) * (hi - lo + 1))).astype(np.int32)
    # stop (the last month paid for) and staff end, as month indexes relative to 2025-01
    none = np.iinfo(np.int32).max
    stop = np.full(n, none, dtype=np.int32)
    staff_end = np.full(n, none, dtype=np.int32)
    stopped = active & (behaviour == BEHAVIOURS.index("stopped"))
    stop[stopped] = _between(rng, *g.STOPPED_RANGE, int(stopped.sum()))
    for s, (first, last, (lo_m, hi_m)) in g.CLOSING.items():
        here = status == STATUSES.index(s)
        k = int(here.sum())
        stop[here] = _between(rng, first, last, k)
        # a unit closed before 2025 still has its staff in January: the 12 months start there
        staff_end[here] = np.clip(stop[here] + rng.integers(lo_m, hi_m + 1, k), 0, MONTHS - 1)
    low_risk = (rng.random(n) < 0.05) & ~agri
    bank = rng.integers(10**12, 10**13, n)
    tax = rng.choice(90_000_000, n, replace=False) + 10_000_000
    factor = np.array([g.SIZE_FACTOR[o] for o in OWNERS])[owner]
    size = np.minimum(rng.pareto(1.25, n) + 1.0, 400.0) * factor * np.where(active, 1.0, 0.5)
    headcount = _apportion(np.minimum(size, g.MAX_UNIT_SHARE * size.sum()), persons)
    # codes T<letter>0001 … per office, in unit order
    seq = np.zeros(n, dtype=np.int64)
    for k in range(len(g.OFFICES)):
        here = np.flatnonzero(office == k)
        seq[here] = np.arange(1, len(here) + 1)
    letters = [o.letter for o in g.OFFICES]
    unit_code = _join(prefix + "T", _lookup(letters, office), _digits(seq, 4))
    names = _unit_names(rng, owner, agri, office)

    # --- persons ----------------------------------------------------------------------------------------
    unit_of = np.repeat(np.arange(n, dtype=np.int32), headcount)
    p_office = office[unit_of]
    sex_m = rng.random(persons) < 0.54
    born = (_days(date(1966, 1, 1)) + np.floor(rng.random(persons) * (_days(date(2006, 6, 30))
                                                                       - _days(date(1966, 1, 1)) + 1))).astype(np.int32)
    born_year = born.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    number = np.arange(1, persons + 1, dtype=np.int64)
    serial = (number * 7_919 + 104_729) % 1_000_000
    si_serial = (number * 48_271 + 1_234_567) % 100_000_000
    birth = _pick(rng, [w for _, w in g.BIRTH_PROVINCES], persons)
    century_sex = np.where(born_year < 2000, 0, 2) + np.where(sex_m, 0, 1)
    national_id = _join(_lookup([c for c, _ in g.BIRTH_PROVINCES], birth), _digits(century_sex, 1),
                        _digits(born_year % 100, 2), _digits(serial, 6))
    si_code = _join(prefix + g.SI_PROVINCE, _digits(si_serial, 8))
    family = _pick(rng, [w for _, w in g.FAMILY], persons)
    middle = rng.integers(0, len(g.MIDDLE["M"]), persons)
    given_m = rng.integers(0, len(g.GIVEN["M"]), persons)
    given_f = rng.integers(0, len(g.GIVEN["F"]), persons)
    fam_words = _lookup([f for f, _ in g.FAMILY], family)
    mid_words = pc.if_else(pa.array(sex_m), _lookup(list(g.MIDDLE["M"]), middle), _lookup(list(g.MIDDLE["F"]), middle))
    given = pc.if_else(pa.array(sex_m), _lookup(list(g.GIVEN["M"]), given_m), _lookup(list(g.GIVEN["F"]), given_f))
    full_name = pc.binary_join_element_wise(fam_words, mid_words, given, " ")
    commune = _communes_of(rng, p_office, communes)

    # --- participations -------------------------------------------------------------------------------
    pu = unit_of
    start = np.zeros(persons, dtype=np.int32)
    late_unit = registered[pu] > _days(FIRST.first_day)
    reg_month = _month_of_day(registered[pu])
    start = np.where(late_unit, np.maximum(0, reg_month + rng.integers(0, 2, persons)), start)
    hired = rng.random(persons) < 0.18
    span = (MONTHS - 2) - start  # a month between start and 2025-11
    start = np.where(hired & (span > 0), start + np.floor(rng.random(persons) * (np.maximum(span, 0) + 1)), start)
    start = start.astype(np.int32)
    end = np.full(persons, none, dtype=np.int32)
    left = rng.random(persons) < 0.11
    end = np.where(left, start + rng.integers(1, 21, persons), end)
    end = np.where(end >= MONTHS - 1, none, end).astype(np.int32)
    se = staff_end[pu]
    closing_p = se != none
    back = np.maximum(0, se - rng.integers(0, 4, persons))
    start = np.where(closing_p & (start > se), back, start)
    end = np.where(closing_p, np.minimum(end, se), end)
    start = np.minimum(start, MONTHS - 1)
    end = np.where(end < start, start, end)  # a closing unit's last month before the start of 2025
    no_ui = rng.random(persons) < np.array([g.NO_UI_SHARE.get(o, g.NO_UI_OTHER) for o in OWNERS])[owner[pu]]
    public = owner[pu] == OWNERS.index("public")
    coefficient = np.array(g.COEFFICIENTS)[rng.integers(0, len(g.COEFFICIENTS), persons)] * rng.uniform(1.0, 1.25, persons)
    reg_p = region[pu]
    floor = rules.floor[reg_p, start]
    band = _pick(rng, [w for w, _, _ in g.WAGE_BANDS], persons)
    band_lo = np.array([b[1] for b in g.WAGE_BANDS])[band]
    band_hi = np.array([b[2] for b in g.WAGE_BANDS])[band]
    premium = np.array([g.WAGE_PREMIUM.get(o, 1.0) for o in OWNERS])[owner[pu]]
    market = _round_to(floor * rng.uniform(band_lo, band_hi) * premium, 10_000)
    wage = np.where(public, _round_to(coefficient * rules.base[start], 1_000),
                    np.where(band_hi == 1.0, floor, market)).astype(np.int64)
    # a raise declared in time, in 2025-02 … 2025-11: a second row from that month
    raise_at = rng.integers(1, MONTHS - 1, persons).astype(np.int32)
    raised = (rng.random(persons) < 0.12) & (start < raise_at) & (raise_at <= end)
    raise_wage = _round_to(wage * rng.uniform(1.04, 1.15, persons), 10_000)
    raised &= raise_wage != wage
    a_end = np.where(raised, raise_at - 1, end)
    last_from = np.where(raised, raise_at, start)
    last_wage = np.where(raised, raise_wage, wage)
    # late registration (1.5 % of those who started in 2025-03 … 2025-09: the province demo's 2024-03 … 2025-09
    # leaves out its first two months) or a retroactive raise (1.5 %)
    roll = rng.random(persons)
    late_days = rng.integers(0, 28, persons)
    late_reg = (roll < 0.015) & (start >= 2) & (start <= 8)
    reg_declared = np.minimum(_days(AS_OF), _month_first(np.minimum(start + rng.integers(1, 4, persons), MONTHS))
                              + late_days)
    reg_interest = rng.random(persons) < 0.5
    retro_at = rng.integers(1, 8, persons).astype(np.int32)  # 2025-02 … 2025-08
    retro_declared = np.minimum(_days(AS_OF), _month_first(retro_at + rng.integers(2, 5, persons)) + late_days)
    retro = ((roll >= 0.015) & (roll < 0.03) & (last_from < retro_at) & (retro_at <= end)
             & (_month_of_day(retro_declared) > retro_at))
    retro_interest = rng.random(persons) < 0.5
    retro_wage = _round_to(last_wage * 1.1, 10_000)

    no_day = np.iinfo(np.int32).min  # "declared in time"
    a_declared = np.where(late_reg & (_month_last(np.minimum(start, MONTHS - 1)) < reg_declared), reg_declared, no_day)
    b_declared = np.where(late_reg & raised & (_month_last(np.minimum(raise_at, MONTHS - 1)) < reg_declared),
                          reg_declared, no_day)
    # the rows: one for every person (until a raise), the raise (in time, or late with the registration),
    # the retroactive raise (declared two to four months after it took effect)
    b = np.flatnonzero(raised)
    c = np.flatnonzero(retro)
    a_interest = late_reg & (a_declared != no_day) & reg_interest
    part_person = np.concatenate([np.arange(persons), b, c])
    part_from = np.concatenate([start, raise_at[b], retro_at[c]])
    part_to = np.concatenate([a_end, end[b], end[c]])
    part_wage = np.concatenate([wage, raise_wage[b], retro_wage[c]])
    part_declared = np.concatenate([a_declared, b_declared[b], retro_declared[c]])
    part_interest = np.concatenate([a_interest, late_reg[b] & (b_declared[b] != no_day) & reg_interest[b],
                                    retro_interest[c]])
    order = np.lexsort((np.concatenate([np.zeros(persons), np.ones(len(b)), np.full(len(c), 2)]), part_person))
    part_person, part_from, part_to = part_person[order], part_from[order], part_to[order]
    part_wage, part_declared, part_interest = part_wage[order], part_declared[order], part_interest[order]
    part_unit = pu[part_person]
    part_ui = ~no_ui[part_person]

    # --- dues: unit × month (× the month it is known in) ----------------------------------------------
    arising, assessed_m = _dues(rules, n, region, low_risk, part_unit, part_person, part_from, part_to, part_wage,
                                part_declared, part_ui, no_day, none, persons)

    # --- payments -------------------------------------------------------------------------------------
    pay = _payments(rng, rules, n, cycle, behaviour, status, owner, stop, arising, none)

    # --- the plans' figures: December participants per office, the year's dues ---------------------------
    dec = (part_from <= MONTHS - 1) & (part_to >= MONTHS - 1)
    dec_person = np.unique(part_person[dec])
    heads = {"si": np.bincount(p_office[dec_person], minlength=len(g.OFFICES)),
             "ui": np.bincount(p_office[dec_person[~no_ui[dec_person]]], minlength=len(g.OFFICES))}
    assessed = np.bincount(office, weights=assessed_m.sum(axis=1), minlength=len(g.OFFICES)).astype(np.int64)
    late_ratio = _late_ratio(rules, cycle, arising, pay, max(1, round(int(assessed.sum()) * g.PLAN_MARGIN)))

    tables = _tables(prefix, created_at, unit_code, names, office, owner, status, region, cycle, registered,
                     low_risk, bank, tax, index, si_code, national_id, full_name, born, sex_m, commune,
                     part_person, part_unit, part_from, part_to, part_wage, part_ui, part_declared, part_interest,
                     no_day, none, pay)
    return ProvinceData(*tables, unit_office=office, assessed_2025=assessed, heads=heads, late_ratio=late_ratio,
                        arising=arising)


def _between(rng: np.random.Generator, first: Month, last: Month, k: int) -> np.ndarray:
    """``k`` month indexes (relative to 2025-01) uniformly in ``first`` … ``last``."""
    return (rng.integers(first.index, last.index + 1, k) - FIRST.index).astype(np.int32)


def _communes_of(rng: np.random.Generator, p_office: np.ndarray, communes: list[g.CommuneRec]) -> np.ndarray:
    """Each person's commune (index into ``communes``, :func:`.generator._communes`' list): 92 % in a
    commune of their unit's office, the rest anywhere, in proportion to the labour force."""
    local_cum, local_first = [], []
    for o in g.OFFICES:
        idx = [i for i, c in enumerate(communes) if c.office == o.code]
        local_first.append(idx[0])
        local_cum.append(np.cumsum([communes[i].labour_force for i in idx], dtype=np.float64))
    any_cum = np.cumsum([c.labour_force for c in communes], dtype=np.float64)
    n = len(p_office)
    local = rng.random(n) < 0.92
    draw = rng.random(n)
    out = np.empty(n, dtype=np.int32)
    for k in range(len(g.OFFICES)):
        here = np.flatnonzero(local & (p_office == k))
        cum = local_cum[k]
        out[here] = local_first[k] + np.searchsorted(cum, draw[here] * cum[-1], side="right")
    far = np.flatnonzero(~local)
    out[far] = np.searchsorted(any_cum, draw[far] * any_cum[-1], side="right")
    return out


def _unit_names(rng: np.random.Generator, owner: np.ndarray, agri: np.ndarray, office: np.ndarray) -> pa.Array:
    """Names from the row-wise generator's words (not made unique)."""
    n = len(owner)
    out = np.empty(n, dtype=object)
    forms = ("Công ty TNHH", "Công ty TNHH", "Công ty CP", "Công ty TNHH MTV")
    a, b, c = rng.integers(0, 1 << 30, (3, n))
    places = [o.place for o in g.OFFICES]
    for i in range(n):  # 10,000 a province: a short Python loop over choices already drawn
        o = OWNERS[owner[i]]
        off = g.OFFICES[office[i]]
        if o == "fdi":
            out[i] = f"Công ty TNHH {g.FDI_BRANDS[a[i] % len(g.FDI_BRANDS)]} Việt Nam"
        elif o == "state":
            out[i] = g.STATE_NAMES[a[i] % len(g.STATE_NAMES)].format(p=places[office[i]])
        elif o == "public":
            com = off.communes[b[i] % len(off.communes)]
            out[i] = g.PUBLIC_NAMES[a[i] % len(g.PUBLIC_NAMES)].format(c=com, w=off.ward, p=off.place)
        elif o == "cooperative":
            trades = g.AGRI_TRADES if agri[i] else ("Dịch vụ tổng hợp", "Vận tải", "Tiểu thủ công")
            out[i] = f"Hợp tác xã {trades[a[i] % len(trades)]} {off.communes[b[i] % len(off.communes)]}"
        elif o == "household":
            sex = "M" if c[i] % 2 else "F"
            out[i] = (f"Hộ kinh doanh {g.FAMILY[a[i] % len(g.FAMILY)][0]} {g.MIDDLE[sex][b[i] % 11]} "
                      f"{g.GIVEN[sex][(c[i] >> 1) % len(g.GIVEN[sex])]}")
        else:
            trades = g.AGRI_TRADES if agri[i] else g.TRADES
            out[i] = f"{forms[c[i] % 4]} {trades[a[i] % len(trades)]} {g.BRANDS[b[i] % len(g.BRANDS)]}"
    return pa.array(out, pa.string())


def _dues(rules: Rules, n: int, region: np.ndarray, low_risk: np.ndarray, part_unit: np.ndarray,
          part_person: np.ndarray, part_from: np.ndarray, part_to: np.ndarray, part_wage: np.ndarray,
          part_declared: np.ndarray, part_ui: np.ndarray, no_day: int, none: int,
          persons: int) -> tuple[np.ndarray, np.ndarray]:
    """What each unit owes, by the month it arises in (``[unit, month]``): the month's dues as declared by
    its end plus the changes that month's late declarations made to earlier months — the sums of
    :func:`.generator.unit_dues`' items by ``arising``. Also the dues of each month as known at its end.

    ``T[u, m, k]`` is the amount of month ``m`` as declared by the end of month ``k`` (per fund: the
    clamped wages summed, then the rate applied once, half up, as ``assess``). A person's row in force
    for (m, k) is the one declared last among those declared by then; only persons with a late row have
    a ``T`` that changes with ``k``, so the others are summed once per month."""
    last_days = _month_last(np.arange(MONTHS))
    reg_u = region[part_unit]
    late_person = np.zeros(persons, dtype=bool)
    late_person[part_person[part_declared != no_day]] = True
    in_time = ~late_person[part_person]
    base_all = np.zeros((n, MONTHS, MONTHS), dtype=np.int64)
    base_ui = np.zeros((n, MONTHS, MONTHS), dtype=np.int64)

    def clamp(w: np.ndarray, reg: np.ndarray, m: int, cap: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(w, rules.floor[reg, m]), cap[reg, m])

    for m in range(MONTHS):
        cover = in_time & (part_from <= m) & (part_to >= m)
        u, w, r = part_unit[cover], part_wage[cover], reg_u[cover]
        s_all = np.bincount(u, weights=clamp(w, r, m, rules.cap_all), minlength=n)
        ui = part_ui[cover]
        s_ui = np.bincount(u[ui], weights=clamp(w[ui], r[ui], m, rules.cap_ui), minlength=n)
        base_all[:, m, m:] += s_all.astype(np.int64)[:, None]
        base_ui[:, m, m:] += s_ui.astype(np.int64)[:, None]
    # persons with a late row: the row in force for (m, k), the last declared among those known by k's end
    late_rows = np.flatnonzero(~in_time)
    if len(late_rows):
        lp = part_person[late_rows]
        precedence = part_declared[late_rows].astype(np.int64)
        for k in range(MONTHS):
            known = precedence <= last_days[k]
            for m in range(k + 1):
                cover = known & (part_from[late_rows] <= m) & (part_to[late_rows] >= m)
                rows = late_rows[cover]
                if not len(rows):
                    continue
                # per person the highest (declared_on, from_month, row order): sort, keep the last of each
                key = np.lexsort((np.arange(len(rows)), part_from[rows], precedence[cover], lp[cover]))
                rows, persons_sorted = rows[key], lp[cover][key]
                keep = np.r_[persons_sorted[1:] != persons_sorted[:-1], True]
                rows = rows[keep]
                u, w, r = part_unit[rows], part_wage[rows], reg_u[rows]
                np.add.at(base_all[:, m, k], u, clamp(w, r, m, rules.cap_all))
                ui = part_ui[rows]
                np.add.at(base_ui[:, m, k], u[ui], clamp(w[ui], r[ui], m, rules.cap_ui))
    rate = rules.rates  # [month, 5]
    oadi = np.where(low_risk, 4, 3)
    total = np.zeros((n, MONTHS, MONTHS), dtype=np.int64)
    for m in range(MONTHS):
        b_all = base_all[:, m, :]
        total[:, m, :] = (_amount(b_all, rate[m, 0]) + _amount(b_all, rate[m, 1]) + _amount(b_all, rate[m, 2])
                          + _amount(b_all, rate[m, oadi][:, None]) + _amount(base_ui[:, m, :], rules.rate_ui[m]))
    arising = np.zeros((n, MONTHS), dtype=np.int64)
    for a in range(MONTHS):
        arising[:, a] = total[:, a, a]
        if a:
            arising[:, a] += (total[:, :a, a] - total[:, :a, a - 1]).sum(axis=1)
    known_at_end = total[:, np.arange(MONTHS), np.arange(MONTHS)]
    return arising, known_at_end


def _payments(rng: np.random.Generator, rules: Rules, n: int, cycle: np.ndarray, behaviour: np.ndarray,
              status: np.ndarray, owner: np.ndarray, stop: np.ndarray, arising: np.ndarray,
              none: int) -> dict[str, np.ndarray]:
    """:func:`.generator.simulate_payments` for every unit at once: one payment (or two, split) per
    cycle, on time, a few days late, one to three months late, in part, or none after ``stop``."""
    lag = rng.integers(1, 4, n)
    share = rng.uniform(0.55, 0.9, n)
    resume = np.full(n, none, dtype=np.int64)
    again = (status == 0) & (stop != none) & (rng.random(n) < 0.5)
    resume[again] = stop[again].astype(np.int64) + rng.integers(3, 10, int(again.sum()))
    months = np.arange(MONTHS)
    # the cycle (1, 3 or 6 months) each month belongs to ends at …
    end_of = ((months[None, :] // cycle[:, None]) + 1) * cycle[:, None] - 1
    amount = np.zeros((n, MONTHS), dtype=np.int64)
    np.add.at(amount, (np.repeat(np.arange(n), MONTHS), end_of.ravel()), arising.ravel())
    ends = np.zeros((n, MONTHS), dtype=bool)
    ends[np.arange(n)[:, None], end_of] = True
    paying = ends & (amount > 0) & ~((months[None, :] > stop[:, None])
                                      & ((resume[:, None] == none) | (months[None, :] < resume[:, None])))
    u, m = np.nonzero(paying)  # in unit, then month order
    k = len(u)
    amt = amount[u, m]
    deadline = rules.deadline[cycle[u], m].astype(np.int64)
    beh = np.array(BEHAVIOURS)[behaviour[u]]
    r1, r2, r3, r4, r5, r6 = rng.random((6, k))
    late = (beh == "few_days") & (r1 < 0.55)
    payday = (cycle[u] == 1) & (r2 < g.ON_PAYDAY)
    paid = np.where(beh == "chronic", deadline + 30 * lag[u] + rng.integers(-6, 9, k),
                    np.where(late, deadline + rng.integers(1, 21, k),
                             np.where(payday, _month_last(m) - rng.integers(0, 13, k),
                                      deadline - rng.integers(0, 21, k))))
    paid = np.maximum(paid, _month_first(m) + 9)
    part = (beh == "partial") & (r3 < 0.85)
    rounded_up = ~part & (r4 < 0.015)
    amt = np.where(part, _round_to(amt * share[u], 1_000), np.where(rounded_up, (amt // 1_000_000 + 1) * 1_000_000, amt))
    split = (r5 < 0.03) & (amt > 2_000_000)
    first = _round_to(amt * 0.6, 1_000)
    household = owner[u] == OWNERS.index("household")
    channel = np.where(household, np.where(r6 < 0.4, 0, np.where(r6 < 0.8, 1, 2)), np.where(r6 < 0.05, 1, 0))
    # the payments: a split's first transfer 4 days before the second; none after the data's last day
    p_unit = np.concatenate([u, u[split]])
    p_month = np.concatenate([m, m[split]])
    p_part = np.concatenate([np.where(split, 1, 0), np.zeros(int(split.sum()), dtype=np.int64)])
    p_amount = np.concatenate([np.where(split, amt - first, amt), first[split]])
    p_day = np.concatenate([paid, paid[split] - 4])
    p_channel = np.concatenate([channel, channel[split]])
    order = np.lexsort((p_part, p_month, p_unit))
    p_unit, p_month, p_part, p_amount, p_day, p_channel = (x[order] for x in (p_unit, p_month, p_part, p_amount,
                                                                              p_day, p_channel))
    # a split whose first transfer is already past the last day: neither part was made (as the row-wise ``break``)
    first_late = np.r_[(p_part[:-1] == 0) & (p_part[1:] == 1) & (p_day[:-1] > _days(AS_OF))
                       & (p_unit[:-1] == p_unit[1:]) & (p_month[:-1] == p_month[1:]), False]
    keep = (p_day <= _days(AS_OF)) & (p_amount > 0) & ~first_late
    p_unit, p_month, p_amount, p_day, p_channel = (x[keep] for x in (p_unit, p_month, p_amount, p_day, p_channel))
    # numbered per unit, 001 …
    starts = np.r_[0, np.flatnonzero(p_unit[1:] != p_unit[:-1]) + 1]
    number = np.arange(len(p_unit)) - np.repeat(starts, np.diff(np.r_[starts, len(p_unit)])) + 1
    return {"unit": p_unit, "month": p_month, "amount": p_amount, "day": p_day, "channel": p_channel,
            "number": number}


def _late_ratio(rules: Rules, cycle: np.ndarray, arising: np.ndarray, pay: dict[str, np.ndarray],
                year_dues: int) -> dict[date, float]:
    """Unpaid principal past its deadline on the check days ÷ the year's dues (``late_principal``, summed)."""
    n = len(cycle)
    out = {}
    for day in g.CHECK_DAYS:
        d = _days(day)
        # an amount arising in month a is due by the deadline of the cycle a belongs to
        due_month = (rules.deadline[cycle, :] < d) & (_month_first(np.arange(MONTHS))[None, :] <= d)
        due = (arising * due_month).sum(axis=1)
        paid = np.bincount(pay["unit"][pay["day"] <= d], weights=pay["amount"][pay["day"] <= d], minlength=n)
        out[day] = float(np.maximum(0, due - paid).sum()) / year_dues
    return out


CHANNELS = ("bank", "counter", "agent")


def _tables(prefix: str, created_at: str, unit_code: pa.Array, names: pa.Array, office: np.ndarray,
            owner: np.ndarray, status: np.ndarray, region: np.ndarray, cycle: np.ndarray, registered: np.ndarray,
            low_risk: np.ndarray, bank: np.ndarray, tax: np.ndarray, index: int, si_code: pa.Array,
            national_id: pa.Array, full_name: pa.Array, born: np.ndarray, sex_m: np.ndarray, commune: np.ndarray,
            part_person: np.ndarray, part_unit: np.ndarray, part_from: np.ndarray, part_to: np.ndarray,
            part_wage: np.ndarray, part_ui: np.ndarray, part_declared: np.ndarray, part_interest: np.ndarray,
            no_day: int, none: int, pay: dict[str, np.ndarray]) -> tuple[pa.Table, ...]:
    """The four tables with *relative* ids (unit, office, commune and person indexes), columns as the database's."""
    n = len(office)
    units = pa.table({
        "idx": pa.array(np.arange(n)), "code": unit_code, "name": names,
        "tax_code": _join(f"{10 + index % 90:02d}", _digits(tax, 8)),
        "office_idx": pa.array(office), "ownership": _lookup(list(OWNERS), owner),
        "status": _lookup(list(STATUSES), status), "region": pa.array(region, pa.int16()),
        "payment_cycle": pa.array(cycle, pa.int16()), "registered_on": _date(registered),
        "oadi_low_risk": pa.array(low_risk), "bank_account": _digits(bank, 13),
    })
    persons = pa.table({
        "si_code": si_code, "national_id": national_id, "full_name": full_name,
        "birth_date": _date(born), "sex": pa.array(np.where(sex_m, "M", "F"), pa.string()),
        "commune_idx": pa.array(commune),
    })
    months_first = _month_first(np.arange(MONTHS))
    to_month = _date(months_first[np.minimum(part_to, MONTHS - 1)], mask=part_to == none)
    parts = pa.table({
        "person_idx": pa.array(part_person), "unit_idx": pa.array(part_unit),
        "from_month": _date(months_first[part_from]), "to_month": to_month,
        "wage": pa.array(part_wage), "si": pa.array(np.ones(len(part_person), dtype=bool)),
        "hi": pa.array(np.ones(len(part_person), dtype=bool)), "ui": pa.array(part_ui),
        "oadi": pa.array(np.ones(len(part_person), dtype=bool)),
        "declared_on": _date(np.where(part_declared == no_day, 0, part_declared), mask=part_declared == no_day),
        "retro_interest": pa.array(part_interest),
    })
    code_raw = pc.utf8_slice_codeunits(unit_code, len(prefix)).take(pa.array(pay["unit"]))
    mm = (pay["month"] + FIRST.month - 1) % 12 + 1
    yyyy = FIRST.year + (pay["month"] + FIRST.month - 1) // 12
    payments = pa.table({
        "payment_id": _join(prefix + "DEMO-", code_raw, "-", _digits(pay["number"], 3)),
        "unit_idx": pa.array(pay["unit"]), "paid_on": _date(pay["day"].astype(np.int32)),
        "amount": pa.array(pay["amount"]),
        "reference": _join("BHXH ", code_raw, " T", _digits(mm, 2), "/", _digits(yyyy, 4)),
        "channel": _lookup(list(CHANNELS), pay["channel"]), "source": pa.array(np.full(len(pay["unit"]), "demo")),
        "created_at": pa.array(np.full(len(pay["unit"]), created_at)),
    })
    return units, persons, parts, payments


# --- writing with COPY ---------------------------------------------------------------------------------
def csv_slices(table: pa.Table, rows: int = SLICE) -> Iterator[bytes]:
    """The table as CSV (no header), :data:`SLICE` rows at a time: what ``COPY … (FORMAT csv)`` reads.
    Arrow quotes every string, so an empty string stays ``""`` and a null is an empty field (NULL)."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for start in range(0, table.num_rows, rows):
        sink = io.BytesIO()
        pacsv.write_csv(table.slice(start, rows), sink, options)
        yield sink.getvalue()


def copy_table(cursor: Any, table_name: str, table: pa.Table) -> None:
    """COPY ``table`` (its columns named as the database's) into ``table_name``, slice by slice."""
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    with cursor.copy(f"COPY {table_name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        for chunk in csv_slices(table):
            cp.write(chunk)


def with_ids(table: pa.Table, first: int, maps: dict[str, tuple[str, np.ndarray]]) -> pa.Table:
    """``table`` with an ``id`` column from ``first`` and each ``*_idx`` column replaced by its ids."""
    out = table.add_column(0, "id", pa.array(np.arange(first, first + table.num_rows, dtype=np.int64)))
    for col, (name, ids) in maps.items():
        i = out.column_names.index(col)
        out = out.set_column(i, name, pa.array(ids[out.column(col).to_numpy()]))
    return out


#: The tables the national demo fills with COPY; their secondary indexes and foreign keys are dropped
#: during the load and made again after it (:func:`bulk_load`).
BULK_TABLES = ("registry_unit", "registry_person", "registry_participation", "contributions_payment")


def _restore_file() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "national-restore-indexes.sql"


@contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM (a ``kill``, a job scheduler) ends the process through Python's ``finally`` blocks, so the
    indexes are made again; only in the main thread, where signal handlers can be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}: restoring the indexes and foreign keys")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def bulk_load(cursor: Any, tables: tuple[str, ...] = BULK_TABLES, in_transaction: bool = False) -> Iterator[list[str]]:
    """Drop the secondary indexes, unique constraints and foreign keys of ``tables`` (primary keys and
    CHECK constraints stay) and make them again on the way out — after the load, or after a failure
    (``finally``): one sort per index and one join per foreign key instead of a B-tree insert and a
    trigger's look-up per row. Yields the statements that restore them (a caller may print them).
    ``in_transaction``: called inside an open transaction (a test's), whose deferred foreign-key checks are
    run first (PostgreSQL alters no table with checks pending)."""
    settle = "SET CONSTRAINTS ALL IMMEDIATE" if in_transaction else "SELECT 1"
    cursor.execute(settle)
    names = ", ".join(f"'{t}'::regclass" for t in tables)
    cursor.execute(f"""
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
          FROM pg_constraint WHERE conrelid IN ({names}) AND contype IN ('u', 'f') ORDER BY contype DESC, conname""")
    constraints = cursor.fetchall()
    cursor.execute(f"""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i WHERE i.indrelid IN ({names}) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('u', 'p'))
         ORDER BY 1""")
    indexes = cursor.fetchall()
    restore = [ddl for _, ddl in indexes]
    restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}' for table, name, ddl, kind in constraints
                if kind == "u"]
    restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}' for table, name, ddl, kind in constraints
                if kind == "f"]
    # should the process be killed outright (SIGKILL, out of memory), the statements are in this file
    path = _restore_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{ddl};\n" for ddl in restore), encoding="utf-8")
    for table, name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    try:
        yield restore
    finally:
        cursor.execute(settle)
        cursor.execute("SET maintenance_work_mem TO '512MB'")  # the index sorts in memory (this session only)
        for ddl in restore:
            cursor.execute(ddl)
        cursor.execute("RESET maintenance_work_mem")
        path.unlink(missing_ok=True)


#: ``on_progress(units, persons)``: one more province written.
ProgressCallback = Callable[[int, int], None]


def write_national(seed: int, book: RuleBook, provinces: int = PROVINCES, units: int = UNITS,
                   persons_per_unit: int = PERSONS_PER_UNIT,
                   on_progress: ProgressCallback | None = None, bulk: bool = True) -> dict[str, Any]:
    """Generate and COPY ``provinces`` provinces (codes P01…), each in its own transaction; return the counts
    and figures. PostgreSQL only."""
    for package in ("numpy", "pyarrow"):
        require(package, "sicollect demo --scale national")
    from django.db import connection, transaction

    from sicollect.contributions.models import Payment
    from sicollect.plans.models import PlanTarget
    from sicollect.registry.models import Commune, Office, Participation, Person, Unit

    from .writer import reset_sequences

    rules = Rules.of(book)
    created_at = datetime.now(timezone.utc).isoformat()
    totals: dict[str, int] = {}
    late: dict[date, list[float]] = {day: [] for day in g.CHECK_DAYS}
    next_id: dict[Any, int] = {}

    def ids(model: Any, k: int) -> int:
        if model not in next_id:
            with connection.cursor() as cur:
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
                next_id[model] = cur.fetchone()[0] + 1
        first = next_id[model]
        next_id[model] += k
        return first

    def make(i: int) -> tuple[list[g.CommuneRec], ProvinceData]:
        communes = g._communes(random.Random(seed * 1000 + i), g.SCALES["province400"])
        return communes, generate_province(seed, i, rules, communes, units=units, persons=units * persons_per_unit,
                                           prefix=f"P{i:02d}", created_at=created_at)

    def _province(i: int, communes: list[g.CommuneRec], data: ProvinceData) -> None:
        prefix = f"P{i:02d}"
        with transaction.atomic():
            office_id: dict[str, int] = {}
            for r in g._offices():
                office_id[r.code] = Office.objects.create(
                    code=prefix + r.code, name=r.name, parent_id=office_id.get(r.parent or ""),
                    bank_account=r.bank_account, bank_bin=r.bank_bin).pk
            objs = Commune.objects.bulk_create([
                Commune(code=prefix + c.code, name=c.name, office_id=office_id[c.office], population=c.population,
                        labour_force=c.labour_force) for c in communes])
            commune_ids = np.array([o.pk for o in objs], dtype=np.int64)
            office_ids = np.array([office_id[o.code] for o in g.OFFICES], dtype=np.int64)
            unit_ids = np.arange(ids(Unit, data.units.num_rows), next_id[Unit], dtype=np.int64)
            person_ids = np.arange(ids(Person, data.persons.num_rows), next_id[Person], dtype=np.int64)
            unit_office_ids = office_ids[data.unit_office]
            with connection.cursor() as cur:
                raw = cur.cursor
                copy_table(raw, "registry_unit", with_ids(data.units.drop_columns(["idx"]), int(unit_ids[0]),
                                                          {"office_idx": ("office_id", office_ids)}))
                copy_table(raw, "registry_person", with_ids(data.persons, int(person_ids[0]),
                                                            {"commune_idx": ("commune_id", commune_ids)}))
                copy_table(raw, "registry_participation", with_ids(
                    data.participations, ids(Participation, data.participations.num_rows),
                    {"person_idx": ("person_id", person_ids), "unit_idx": ("unit_id", unit_ids)}))
                pays = data.payments.append_column("office_idx", data.payments.column("unit_idx"))
                copy_table(raw, "contributions_payment", with_ids(
                    pays, ids(Payment, pays.num_rows),
                    {"unit_idx": ("unit_id", unit_ids), "office_idx": ("office_id", unit_office_ids)}))
            PlanTarget.objects.bulk_create(_plans(data, communes, office_id, prefix))
            reset_sequences()
        for kind, count in (("offices", len(office_id)), ("communes", len(communes)), ("units", data.units.num_rows),
                            ("persons", data.persons.num_rows), ("participations", data.participations.num_rows),
                            ("payments", data.payments.num_rows)):
            totals[kind] = totals.get(kind, 0) + count
        for day, ratio in data.late_ratio.items():
            late[day].append(ratio)
        if on_progress:
            on_progress(data.units.num_rows, data.persons.num_rows)

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    # the next province is generated (numpy and Arrow, mostly without the GIL) while this one is copied
    with (_terminate_as_exit(), ThreadPoolExecutor(max_workers=1) as pool, connection.cursor() as outer,
          bulk_load(outer.cursor, in_transaction=connection.in_atomic_block) if bulk else nullcontext()):
        ahead = pool.submit(make, 1)
        for i in range(1, provinces + 1):
            communes, data = ahead.result()
            if i < provinces:
                ahead = pool.submit(make, i + 1)
            _province(i, communes, data)
            del data
        seconds["generate and copy"] = time.perf_counter() - started
    seconds["indexes and foreign keys"] = time.perf_counter() - started - seconds["generate and copy"]
    with connection.cursor() as cur:
        cur.execute("ANALYZE registry_unit, registry_person, registry_participation, contributions_payment")
    return {"counts": totals, "late_ratio": {day: sum(v) / len(v) for day, v in late.items()}, "seconds": seconds}


def _plans(data: ProvinceData, communes: list[g.CommuneRec], office_id: dict[str, int], prefix: str) -> list[Any]:
    """2025 plans per grassroots office and for the province: receivable = the year's dues × 1.02,
    participants a few per cent above December's, population and labour force of the office's communes."""
    from sicollect.plans.models import PlanTarget

    out = []
    totals: dict[str, int] = {}
    for k, o in enumerate(g.OFFICES):
        receivable = int(round(int(data.assessed_2025[k]) * g.PLAN_MARGIN / 1_000_000) * 1_000_000)
        si, ui = int(data.heads["si"][k]), int(data.heads["ui"][k])
        values = {"revenue": receivable, "receivable": receivable, "si_compulsory": round(si * 1.06),
                  "ui": round(ui * 1.06), "hi": round(si * 1.02), "oadi": round(si * 1.06),
                  "population": sum(c.population for c in communes if c.office == o.code),
                  "labour_force": sum(c.labour_force for c in communes if c.office == o.code)}
        for indicator, value in values.items():
            out.append(PlanTarget(year=LAST.year, office_id=office_id[o.code], indicator=indicator, value=value))
            totals[indicator] = totals.get(indicator, 0) + value
    totals["debt_ratio_ceiling_bp"] = 210
    out.extend(PlanTarget(year=LAST.year, office_id=office_id[g.PROVINCE_CODE], indicator=k, value=v)
               for k, v in totals.items())
    return out
