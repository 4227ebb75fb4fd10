"""A deterministic demo province modelled on Quang Ninh (see ../shared/context/).

One province office and nine grassroots offices; communes with population and
labour force; employers of every status, ownership, region and payment cycle;
insured persons with realistic wages (most near the regional floor, a few above
the cap); joiners, leavers, raises, late registrations and retroactive raises;
and payments that follow a behaviour per unit: most pay on time, some a few
days late, some chronically late, some partially, some stop paying; units that
went missing, dissolved or bankrupt stopped paying earlier and shed staff.

Same seed → the same data: every choice comes from one ``random.Random(seed)``,
and nothing depends on the clock. :func:`generate` returns plain records;
:func:`write` stores them.
"""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sicollect.contributions.assessment import Row, Terms, assess
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook

FIRST = Month(2024, 1)
LAST = Month(2025, 12)

SCALES = {"small": (200, 5_000), "province": (10_000, 350_000)}

OFFICES = [
    ("HL", "BHXH khu vực Hạ Long"), ("CP", "BHXH khu vực Cẩm Phả"), ("UB", "BHXH khu vực Uông Bí"),
    ("MC", "BHXH khu vực Móng Cái"), ("DT", "BHXH khu vực Đông Triều"), ("QY", "BHXH khu vực Quảng Yên"),
    ("VD", "BHXH khu vực Vân Đồn"), ("TY", "BHXH khu vực Tiên Yên"), ("HH", "BHXH khu vực Hải Hà"),
]
#: Share of units per office and the office's usual wage regions (Quang Ninh's cities are region I/II).
OFFICE_WEIGHT = [30, 18, 12, 9, 9, 8, 5, 5, 4]
OFFICE_REGIONS = {"HL": (1,), "CP": (1, 2), "UB": (1, 2), "MC": (2,), "DT": (2, 3), "QY": (2, 3),
                  "VD": (3,), "TY": (3, 4), "HH": (3, 4)}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn", "Tuấn", "Việt"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hương", "Lan", "Linh", "Mai", "Ngân", "Phương", "Thảo", "Trang", "Vân", "Yến"]
WORDS = ["Hạ Long", "Bạch Đằng", "Vịnh Xanh", "Than Việt", "Đông Bắc", "Hòn Gai", "Tuần Châu", "Biển Bắc", "Cửa Ông",
         "Hoàng Gia", "Phú Cường", "Thịnh Phát", "An Bình", "Minh Khang", "Hưng Thịnh", "Sao Mai", "Trường Sơn"]
TRADES = ["Xây dựng", "Thương mại", "Vận tải", "Du lịch", "Khai khoáng", "Thủy sản", "Cơ khí", "Dịch vụ", "May mặc"]

STATUSES = [("active", 92), ("suspended", 2), ("missing", 1), ("dissolving", 2), ("dissolved", 2), ("bankrupt", 1)]
OWNERSHIP = [("private", 70), ("fdi", 6), ("state", 5), ("public", 10), ("cooperative", 5), ("household", 4)]
#: Payment behaviour of active units: (profile, weight).
BEHAVIOUR = [("on_time", 82), ("few_days", 9), ("chronic", 4), ("partial", 3), ("stopped", 2)]


@dataclass
class UnitRec:
    code: str
    name: str
    tax_code: str
    office: str
    ownership: str
    status: str
    region: int
    cycle: int
    registered_on: date
    low_risk: bool
    behaviour: str
    stop: Month | None  # last month it paid for (stopped / closed units)


@dataclass
class PersonRec:
    si_code: str
    national_id: str
    full_name: str
    birth_date: date
    sex: str
    commune: str


@dataclass
class PartRec:
    si_code: str
    unit: str
    from_month: Month
    to_month: Month | None
    wage: int
    funds: frozenset[str]
    declared_on: date | None = None
    retro_interest: bool = False


@dataclass
class PayRec:
    payment_id: str
    unit: str
    paid_on: date
    amount: int
    reference: str
    channel: str


@dataclass
class Province:
    offices: list[tuple[str, str, str | None, str]]  # code, name, parent, bank account
    communes: list[tuple[str, str, str, int, int]]  # code, name, office, population, labour force
    units: list[UnitRec] = field(default_factory=list)
    persons: list[PersonRec] = field(default_factory=list)
    participations: list[PartRec] = field(default_factory=list)
    payments: list[PayRec] = field(default_factory=list)
    plans: list[tuple[int, str, str, int]] = field(default_factory=list)  # year, office, indicator, value


def _pick(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def generate(scale: str, seed: int, book: RuleBook) -> Province:
    n_units, n_persons = SCALES[scale]
    rng = random.Random(seed)
    factor = n_units / SCALES["province"][0]
    offices = [("QN", "BHXH tỉnh Quảng Ninh", None, "1101000000001")]
    offices += [(c, n, "QN", f"11010000{i + 2:05d}") for i, (c, n) in enumerate(OFFICES)]
    communes = []
    per_office = max(3, round(18 * factor ** 0.5))
    for code, _n in OFFICES:
        for j in range(per_office):
            pop = int(rng.randint(5_000, 12_000) * max(factor, 0.02) * 14 / per_office * 1.0)
            communes.append((f"{code}{j + 1:02d}", f"Phường/xã {code}-{j + 1}", code, pop, int(pop * 0.47)))
    p = Province(offices=offices, communes=communes)
    _units(p, rng, n_units)
    _persons_and_participations(p, rng, n_persons, book)
    _payments(p, rng, book)
    _plans(p, book)
    return p


def _units(p: Province, rng: random.Random, n: int) -> None:
    codes = [c for c, _ in OFFICES]
    for i in range(n):
        office = rng.choices(codes, weights=OFFICE_WEIGHT)[0]
        status = _pick(rng, STATUSES)
        fishery = rng.random() < 0.04
        cycle = rng.choice((3, 6)) if fishery else 1
        behaviour = _pick(rng, BEHAVIOUR) if status == "active" else "stopped"
        stop = None
        if behaviour == "stopped":
            # Closed units stopped paying in 2024–25; active ones that stopped did so late in 2025.
            stop = FIRST + rng.randint(5, 21) if status != "active" else LAST - rng.randint(2, 6)
        kind = "HTX" if _pick(rng, OWNERSHIP) == "cooperative" else rng.choice(["Công ty TNHH", "Công ty CP"])
        trade = "Thủy sản" if fishery else rng.choice(TRADES)
        p.units.append(UnitRec(
            code=f"T{office}{i + 1:05d}", name=f"{kind} {trade} {rng.choice(WORDS)} {i + 1}",
            tax_code=f"57{rng.randint(0, 99_999_999):08d}", office=office, ownership=_pick(rng, OWNERSHIP),
            status=status, region=rng.choice(OFFICE_REGIONS[office]), cycle=cycle,
            registered_on=date(rng.randint(2005, 2023), rng.randint(1, 12), rng.randint(1, 28)),
            low_risk=rng.random() < 0.05, behaviour=behaviour, stop=stop,
        ))


def _name(rng: random.Random, sex: str) -> str:
    if sex == "M":
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def _persons_and_participations(p: Province, rng: random.Random, n: int, book: RuleBook) -> None:
    weights = [rng.paretovariate(1.4) for _ in p.units]
    communes_of: dict[str, list[str]] = defaultdict(list)
    for code, _name_, office, _pop, _lab in p.communes:
        communes_of[office].append(code)
    employer = rng.choices(range(len(p.units)), weights=weights, k=n)
    for i, ui in enumerate(employer):
        u = p.units[ui]
        sex = "M" if rng.random() < 0.55 else "F"
        born = date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28))
        si = f"22{i + 1:08d}"
        p.persons.append(PersonRec(si, f"0{rng.randint(1, 96):02d}{rng.randint(0, 999_999_999):09d}",
                                   _name(rng, sex), born, sex, rng.choice(communes_of[u.office])))
        first = FIRST if rng.random() < 0.8 else FIRST + rng.randint(1, 22)
        last = None
        if rng.random() < 0.12:
            last = min(first + rng.randint(2, 20), LAST)
        if u.stop is not None and u.status != "active":
            # a closing unit sheds its staff within two months after it stops paying
            end = u.stop + rng.randint(0, 2)
            if first > end:
                first = max(FIRST, end - 3)
            last = end if last is None else min(last, end)
        floor = book.floor(u.region, first)
        r = rng.random()
        multiple = 1.0 if r < 0.35 else 1.0 + rng.random() * 0.6 if r < 0.8 else 1.6 + rng.random() * 3 if r < 0.97 else 10 + rng.random() * 5
        wage = int(floor * multiple) // 1000 * 1000
        funds = frozenset({"si", "hi", "ui", "oadi"} if rng.random() < 0.95 else {"si", "hi", "oadi"})
        roll = rng.random()
        if roll < 0.25 and (last is None or last >= Month(2025, 3)) and first < Month(2025, 1):
            # a raise from January 2025, declared in time
            raise_from = Month(2025, 1)
            p.participations.append(PartRec(si, u.code, first, raise_from - 1, wage, funds))
            p.participations.append(PartRec(si, u.code, raise_from, last, int(wage * 1.07) // 1000 * 1000, funds))
        elif roll < 0.27 and first <= Month(2025, 3) and (last is None or last >= Month(2025, 6)):
            # a retroactive raise from April 2025 declared in July, with or without interest
            p.participations.append(PartRec(si, u.code, first, last, wage, funds))
            p.participations.append(PartRec(
                si, u.code, Month(2025, 4), last, int(wage * 1.1) // 1000 * 1000, funds,
                declared_on=date(2025, 7, rng.randint(1, 28)), retro_interest=rng.random() < 0.5,
            ))
        elif roll < 0.29 and first >= Month(2024, 3) and first <= Month(2025, 9):
            # registered late: declared two to three months after starting
            declared = (first + rng.randint(2, 3)).first_day + timedelta(days=rng.randint(0, 25))
            p.participations.append(PartRec(si, u.code, first, last, wage, funds, declared_on=declared,
                                            retro_interest=rng.random() < 0.5))
        else:
            p.participations.append(PartRec(si, u.code, first, last, wage, funds))


def rows_by_unit(p: Province) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = defaultdict(list)
    for seq, r in enumerate(p.participations):
        rows[r.unit].append(Row(r.si_code, r.from_month, r.to_month, r.wage, r.funds, r.declared_on,
                                r.retro_interest, seq))
    return rows


def monthly_dues(u: UnitRec, rows: list[Row], book: RuleBook) -> Iterator[tuple[Month, int]]:
    terms = Terms(u.region, u.cycle, u.low_risk)
    for i in range(FIRST.index, LAST.index + 1):
        m = Month.from_index(i)
        yield m, sum(a.amount for a in assess(rows, m, terms, book, m.last_day).values())


def _payments(p: Province, rng: random.Random, book: RuleBook) -> None:
    rows = rows_by_unit(p)
    end = LAST.last_day
    for u in p.units:
        dues = list(monthly_dues(u, rows[u.code], book))
        # group months into payment cycles: each cycle is paid at once
        cycles: dict[tuple[int, int], list[tuple[Month, int]]] = defaultdict(list)
        for m, amount in dues:
            cycles[(m.year, (m.month - 1) // u.cycle)].append((m, amount))
        n = 0
        for months in cycles.values():
            last_m = months[-1][0]
            amount = sum(a for _, a in months)
            if amount <= 0 or (u.stop is not None and last_m > u.stop):
                continue
            deadline = book.deadline(u.cycle, last_m)
            b = u.behaviour
            if b == "few_days":
                paid = deadline + timedelta(days=rng.randint(1, 20)) if rng.random() < 0.5 else deadline - timedelta(days=rng.randint(0, 10))
            elif b == "chronic":
                paid = deadline + timedelta(days=rng.randint(15, 75))
            elif rng.random() < 0.7:
                # most units pay with the month's salaries
                paid = last_m.last_day - timedelta(days=rng.randint(0, 15))
            else:
                paid = deadline - timedelta(days=rng.randint(0, 20))
            paid = max(paid, last_m.first_day + timedelta(days=5))
            if b == "partial":
                amount = amount * rng.randint(70, 95) // 100
            elif rng.random() < 0.01:
                amount += 1_000_000  # an overpayment, carried forward as credit
            if paid > end:
                continue
            n += 1
            channel = "bank" if rng.random() < 0.93 else "counter"
            p.payments.append(PayRec(f"{u.code}-{n:03d}", u.code, paid, amount,
                                     f"BHXH {u.code} T{last_m.month:02d}/{last_m.year}", channel))


def _plans(p: Province, book: RuleBook) -> None:
    rows = rows_by_unit(p)
    owed: dict[tuple[int, str], int] = defaultdict(int)
    for u in p.units:
        for m, amount in monthly_dues(u, rows[u.code], book):
            owed[(m.year, u.office)] += amount
    heads: dict[tuple[int, str, str], set[str]] = defaultdict(set)
    unit_office = {u.code: u.office for u in p.units}
    for r in p.participations:
        for year in (2024, 2025):
            dec = Month(year, 12)
            if r.from_month <= dec and (r.to_month is None or r.to_month >= dec) and r.declared_on is None:
                office = unit_office[r.unit]
                heads[(year, office, "si_compulsory")].add(r.si_code)
                heads[(year, office, "hi")].add(r.si_code)
                if "ui" in r.funds:
                    heads[(year, office, "ui")].add(r.si_code)
    population = defaultdict(int)
    labour = defaultdict(int)
    for _c, _n, office, pop, lab in p.communes:
        population[office] += pop
        labour[office] += lab
    for year in (2024, 2025):
        totals: dict[str, int] = defaultdict(int)
        for code, _name in OFFICES:
            revenue = owed[(year, code)] * 102 // 100 // 1_000_000 * 1_000_000
            values = {
                "revenue": revenue, "receivable": revenue, "debt_ratio_ceiling_bp": 300,
                "si_compulsory": len(heads[(year, code, "si_compulsory")]) * 105 // 100,
                "si_voluntary": 0,
                "ui": len(heads[(year, code, "ui")]) * 105 // 100,
                "hi": len(heads[(year, code, "hi")]) * 105 // 100 + population[code] * 85 // 100,
                "oadi": len(heads[(year, code, "si_compulsory")]) * 105 // 100,
                "population": population[code], "labour_force": labour[code],
            }
            for indicator, value in values.items():
                p.plans.append((year, code, indicator, value))
                totals[indicator] += value
        totals["debt_ratio_ceiling_bp"] = 300
        for indicator, value in totals.items():
            p.plans.append((year, "QN", indicator, value))
