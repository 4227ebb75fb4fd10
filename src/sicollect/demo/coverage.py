"""The demo province's people outside employers: voluntary SI, household HI lists, collection agents.

Quang Ninh reported (Sep 2025, shared/context/): 46,300 in voluntary SI next to 275,500 in compulsory
SI, SI as 50.36 % of the working-age labour force, and HI for 95.75 % of the population. The
generator's employees give the compulsory part; this module adds, commune by commune:

* collection agents: one collection point per commune and one post office per grassroots office;
* voluntary SI enrolments (more in rural communes), paid monthly, quarterly, half-yearly or yearly
  through an agent (receipts ``IS``), with the State's support by category;
* household HI lists: budget-paid members (children under 6, the poor, the very old), supported ones
  (students, near-poor, farm households) and households paying in full through an agent (receipts
  ``BI`` / ``AR``), with their cards; most voluntary SI payers are on their household's list too.

Coverage never exceeds the commune's own figures: a commune's voluntary payers are at most its labour
force less 3 % less everyone employed there at any time in a year, its HI list at most its target share
of the population (93.5–99 %) less everyone employed there in a year. So SI ≤ 97 % of the labour force
and HI ≤ 99 % of the population in every commune at every date, whatever the seed (a test checks).

Everything comes from its own ``random.Random`` (``seed/coverage``): adding these people leaves the
employers, their staff and their payments as they were.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from sicollect.core.months import Month
from sicollect.coverage.calc import CoverageBook, household, voluntary
from sicollect.coverage.defaults import HOUSEHOLD, SUPPORT, VOLUNTARY
from sicollect.rules.book import RuleBook

#: Voluntary SI payers as a share of the labour force, urban wards ("Phường") and rural communes ("Xã").
VOLUNTARY_SHARE = {"Phường": (0.045, 0.075), "Xã": (0.09, 0.13)}
#: SI (compulsory + voluntary) never above this share of a commune's labour force.
SI_CEILING = 0.97
#: HI target per commune, a share of its population.
HI_TARGET = (0.95, 0.995)
#: Of the voluntary payers, this share is on a household HI list.
VOLUNTARY_ON_LIST = 0.7
#: Household-list members who are not voluntary payers: (group, weight).
GROUPS = (("budget", 45), ("supported", 20), ("household", 35))
#: Birth dates of household-list members by group: budget-paid (children under 6, the very old, the poor),
#: supported (students; near-poor and farm households), paying households.
BORN: dict[str, tuple[tuple[tuple[date, date], int], ...]] = {
    "budget": (((date(2019, 7, 1), date(2025, 6, 30)), 40), ((date(1935, 1, 1), date(1944, 12, 31)), 15),
               ((date(1950, 1, 1), date(2010, 12, 31)), 45)),
    "supported": (((date(2003, 9, 1), date(2018, 12, 31)), 50), ((date(1950, 1, 1), date(2005, 12, 31)), 50)),
    "household": (((date(1950, 1, 1), date(2015, 12, 31)), 1),),
}
#: Household sizes (members on one list) and their weights.
SIZES = ((1, 10), (2, 20), (3, 28), (4, 27), (5, 11), (6, 4))
MODES = ((1, 40), (3, 25), (6, 15), (12, 20))
HH_PERIODS = ((12, 60), (6, 25), (3, 15))
CATEGORIES = {"Phường": (("other", 90), ("near_poor", 6), ("poor", 4)),
              "Xã": (("other", 70), ("ethnic_minority", 14), ("near_poor", 9), ("poor", 7))}
POINT_COMMISSION_PPM = 40_000  # demo values: the agent's share of what it collects
POST_COMMISSION_PPM = 30_000
SPAN_FIRST, SPAN_LAST = Month(2024, 1), Month(2025, 12)
#: A period paid before the rule rows begin (base salary from July 2023) is priced at that month.
PRICED_FROM = Month(2023, 7)
AS_OF = SPAN_LAST.last_day


@dataclass(slots=True)
class AgentRec:
    code: str
    name: str
    kind: str
    office: str
    commune: str | None
    commission_ppm: int


@dataclass(slots=True)
class VoluntaryRec:
    si_code: str
    office: str
    income: int
    mode: int
    category: str
    from_month: Month
    to_month: Month | None


@dataclass(slots=True)
class HouseholdRec:
    code: str
    head_name: str
    commune: str
    office: str


@dataclass(slots=True)
class MemberRec:
    household: str
    si_code: str
    group: str
    support_ppm: int
    from_month: Month
    to_month: Month | None
    card_valid_from: date | None
    card_valid_to: date | None


@dataclass(slots=True)
class ReceiptRec:
    agent: str
    receipt_no: str
    si_code: str
    product: str
    received_on: date
    from_month: Month
    months: int
    amount: int
    remitted_on: date | None


@dataclass
class Employed:
    """Per commune: persons employed there at any time in 2024, in 2025 (every demo employee has HI)."""

    in_2024: dict[str, int]
    in_2025: dict[str, int]


def coverage_book(rules: RuleBook) -> CoverageBook:
    book = CoverageBook(rules)
    book.voluntary = sorted((v, (rate, low, mult)) for v, rate, low, mult, _s in VOLUNTARY)
    for category, v, share, _s in sorted(SUPPORT, key=lambda r: r[1]):
        book.support.setdefault(category, []).append((v, share))
    book.household = sorted((v, tuple(x)) for v, *x, _s in HOUSEHOLD)  # type: ignore[misc]
    return book


_CUMULATIVE: dict[int, tuple[Any, list[Any], list[int]]] = {}


def _pick(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    """A weighted choice from one of the module's tables (their cumulative weights computed once)."""
    found = _CUMULATIVE.get(id(table))
    if found is None or found[0] is not table:
        found = _CUMULATIVE[id(table)] = (table, [v for v, _ in table], list(accumulate(w for _, w in table)))
    return rng.choices(found[1], cum_weights=found[2])[0]


def agents(offices: list[Any], communes: list[Any], places: dict[str, str]) -> list[AgentRec]:
    """A collection point in every commune (Điểm thu), a post office (Bưu điện) in every grassroots office."""
    out = [AgentRec(f"BD{o.code}", f"Bưu điện {places[o.code]}", "post_office", o.code, None, POST_COMMISSION_PPM)
           for o in offices if o.parent]
    out += [AgentRec(f"DT{c.code}", f"Điểm thu {c.name}", "commune_point", c.office, c.code, POINT_COMMISSION_PPM)
            for c in communes]
    return out


class _Receipts:
    """Receipt numbers per agent, and the receipts of one commune."""

    def __init__(self) -> None:
        self.seq: dict[str, int] = defaultdict(int)
        self.out: list[ReceiptRec] = []

    def add(self, rng: random.Random, agent: str, si_code: str, product: str, first: Month, months: int,
            amount: int) -> None:
        received = first.first_day - timedelta(days=rng.randint(0, 20))
        if received > AS_OF or amount <= 0:
            return
        self.seq[agent] += 1
        remitted: date | None = received + timedelta(days=rng.randint(1, 40))  # agents remit within weeks
        if remitted > AS_OF:
            remitted = None  # still with the agent at the end of the data
        self.out.append(ReceiptRec(agent, f"{agent}-{self.seq[agent]:06d}", si_code, product, received, first, months,
                                   amount, remitted))


def _periods(first: Month, last: Month | None, length: int) -> list[Month]:
    """Starts of the paid periods of ``length`` months from ``first`` that overlap the span (counted in
    month indexes: a member since 2016 skips the years before straight away)."""
    start, end = first.index, min((last or SPAN_LAST).index, SPAN_LAST.index)
    lowest = SPAN_FIRST.index - length + 1  # a period starting here still reaches the span
    if start < lowest:
        start += -(-(lowest - start) // length) * length
    return [Month.from_index(i) for i in range(start, end + 1, length)]


def _start_and_end(rng: random.Random, join_share: float, lapse_share: float) -> tuple[Month, Month | None]:
    """In force since before the span (most), joined during it, or lapsed during it."""
    r = rng.random()
    if r < join_share:
        return Month.from_index(rng.randint(SPAN_FIRST.index + 1, SPAN_LAST.index - 1)), None
    first = Month.from_index(rng.randint(Month(2016, 1).index, Month(2023, 12).index))
    if r < join_share + lapse_share:
        return first, Month.from_index(rng.randint(Month(2024, 3).index, Month(2025, 11).index))
    return first, None


def communes_people(rng: random.Random, commune: Any, ward: str, employed: Employed, book: CoverageBook,
                    new_person: Any, receipts: _Receipts) -> dict[str, list[Any]]:
    """The commune's voluntary payers, household lists and the agents' receipts for them.

    ``new_person(rng, commune_code, born_from, born_to)`` makes a :class:`PersonRec` resident there."""
    code, office = commune.code, commune.office
    busiest = max(employed.in_2024.get(code, 0), employed.in_2025.get(code, 0))
    point, post = f"DT{code}", f"BD{office}"
    persons: list[Any] = []
    enrolments: list[VoluntaryRec] = []
    # voluntary SI
    share = rng.uniform(*VOLUNTARY_SHARE[ward])
    n_vol = max(0, min(round(commune.labour_force * share), int(commune.labour_force * SI_CEILING) - busiest))
    on_list: list[Any] = []
    for _ in range(n_vol):
        p = new_person(rng, code, date(1965, 1, 1), date(2003, 12, 31))
        persons.append(p)
        first, last = _start_and_end(rng, 0.2, 0.05)
        income = 1_500_000 if rng.random() < 0.7 else rng.randrange(2_000_000, 6_000_001, 100_000)
        category = _pick(rng, CATEGORIES[ward])
        mode = _pick(rng, MODES)
        enrolments.append(VoluntaryRec(p.si_code, office, income, mode, category, first, last))
        agent = point if rng.random() < 0.85 else post
        for start in _periods(first, last, mode):
            amount = voluntary(book, income, category, max(start, PRICED_FROM), mode).person_pays
            receipts.add(rng, agent, p.si_code, "IS", start, mode, amount)
        if rng.random() < VOLUNTARY_ON_LIST:
            on_list.append(p)
    # household HI lists: every member ever on a list counts against the commune's target
    target = round(commune.population * rng.uniform(*HI_TARGET))
    room = max(0, target - busiest)
    listed: list[tuple[Any, str]] = [(p, "household") for p in on_list[:room]]
    while len(listed) < room:
        group = _pick(rng, GROUPS)
        p = new_person(rng, code, *_pick(rng, BORN[group]))
        persons.append(p)
        listed.append((p, group))
    rng.shuffle(listed)
    households: list[HouseholdRec] = []
    members: list[MemberRec] = []
    i = 0
    while i < len(listed):
        size = _pick(rng, SIZES)
        family = listed[i:i + size]
        i += size
        hh = HouseholdRec(f"HGD{code}{len(households) + 1:05d}", family[0][0].full_name, code, office)
        households.append(hh)
        payers = [p for p, g in family if g == "household"]
        period = _pick(rng, HH_PERIODS)
        product = "AR" if ward == "Xã" and rng.random() < 0.25 else "BI"
        agent = point if rng.random() < 0.8 else post
        first_all, last_all = _start_and_end(rng, 0.03, 0.0)
        for p, group in family:
            first, last = first_all, last_all
            if rng.random() < 0.03:  # left the list (card not renewed, moved away)
                last = Month.from_index(rng.randint(Month(2024, 3).index, Month(2025, 11).index))
                last = max(last, first)
            support = {"budget": 0, "household": 0,
                       "supported": rng.choice((300_000, 500_000, 700_000))}[group]
            card_to = date(2025, 12, 31) if last is None else last.last_day
            members.append(MemberRec(hh.code, p.si_code, group, support, first, last, first.first_day, card_to))
        if not payers:
            continue
        # paying members: one receipt per member and period, at the household rate of their order
        periods = _periods(first_all, last_all, period)
        for start in periods:
            rates = household(book, len(payers), max(start, PRICED_FROM))
            for p, amount in zip(payers, rates, strict=True):
                receipts.add(rng, agent, p.si_code, product, start, period, amount * period)
        # the card runs to the end of the last period paid
        last_paid = periods[-1] if periods else None
        if last_paid is not None:
            paid_to = (last_paid + (period - 1)).last_day
            for m in members[-len(family):]:
                if m.group == "household" and m.to_month is None:
                    m.card_valid_to = paid_to
    return {"residents": persons, "voluntary": enrolments, "households": households, "members": members}


def year_end_counts(enrolments: list[VoluntaryRec], members: list[MemberRec], office: str,
                    heads: dict[tuple[int, str, str], int], years: tuple[int, ...]) -> None:
    """Add the voluntary payers and household-list members of December of each year (for the plans)."""
    for year in years:
        dec = Month(year, 12)
        heads[(year, office, "voluntary")] += sum(1 for v in enrolments if v.from_month <= dec and
                                                  (v.to_month is None or dec <= v.to_month))
        heads[(year, office, "listed")] += sum(1 for m in members if m.from_month <= dec and
                                               (m.to_month is None or dec <= m.to_month))
