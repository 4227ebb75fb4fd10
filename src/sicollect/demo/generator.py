"""A deterministic demo province modelled on Quang Ninh (see shared/context/).

One province office and nine grassroots offices named after Quang Ninh's towns
and districts; communes with population and labour force (≈ 1.35 M people and
≈ 640 k labour force at province scale); employers of every status, ownership,
wage region and payment cycle; insured persons with Vietnamese names, SI codes
and 12-digit national IDs; participations 2024-01 … 2025-12 with a realistic
wage distribution (many at the regional floor, a few above the 46.8 M cap),
joiners, leavers, raises, the July 2024 base-salary reform in the public
sector, late registrations and retroactive raises; and payments that follow a
behaviour per unit. Annual plans (2024, 2025) per office close the picture. The people
outside employers (voluntary SI, household HI lists, collection agents and their receipts)
come from :mod:`.coverage`, commune by commune, with a generator of their own.

Same seed → the same data: every choice comes from ``random.Random`` objects
seeded from the seed (one for the province, one per unit for its payments), and
nothing depends on the clock.

Shape of the module:

* :func:`iter_province` yields the records in batches (:data:`Batch`), so a
  writer can store a 350 k-person province without holding it all in memory;
* :func:`generate` collects the same batches into a :class:`Province`;
* what each unit owes is computed with the reference assessment
  (:func:`sicollect.contributions.assessment.assess`), once per unit, and kept
  as :class:`DueItem` records: they give the payments' amounts, the plans'
  receivable and :func:`late_principal`, the ledger-free debt measure;
* the payment behaviour mix is then *calibrated*: units are moved between
  behaviours (seeded, greedy) until unpaid principal past its deadline on
  30 Sep and 31 Dec 2025 is close to :data:`DEBT_TARGET` of the 2025 receivable
  plan, which keeps the debt ratio in the range the articles report (2.39 %,
  4.41 %) for every seed and both scales.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from sicollect.contributions.assessment import Row, Terms, assess
from sicollect.core.months import Month, month_range
from sicollect.rules.book import RuleBook

from . import coverage as cov

T = TypeVar("T")

FIRST = Month(2024, 1)
LAST = Month(2025, 12)
MONTHS = month_range(FIRST, LAST)
YEARS = (2024, 2025)
#: The day the demo's data ends: no payment or declaration after it.
AS_OF = LAST.last_day
#: Late principal ÷ the 2025 receivable plan that the calibration steers to, on each of
#: :data:`CHECK_DAYS`, and how close it must come before it stops early.
DEBT_TARGET = 0.026
DEBT_TOLERANCE = 0.002
#: Active units considered for a change of behaviour by the calibration.
CALIBRATION_CANDIDATES = 1_500
#: The days the band is checked on: the Quang Ninh article's date and the year end.
CHECK_DAYS = (date(2025, 9, 30), AS_OF)
#: Receivable plan = the year's assessed amount × this.
PLAN_MARGIN = 1.02


@dataclass(frozen=True)
class Scale:
    """How big a demo province is."""

    units: int
    persons: int
    communes_per_office: int | None  # None: every commune listed for the office
    chunk: int  # units generated (and written) together


SCALES: dict[str, Scale] = {
    "small": Scale(units=200, persons=5_000, communes_per_office=3, chunk=200),
    "province": Scale(units=10_000, persons=350_000, communes_per_office=None, chunk=250),
    # one province of the multi-province scales below (10,000 employers, 400,000 insured)
    "province400": Scale(units=10_000, persons=400_000, communes_per_office=None, chunk=250),
    "district": Scale(units=1_000, persons=40_000, communes_per_office=None, chunk=250),
}


@dataclass(frozen=True)
class MultiScale:
    """Many provinces, each generated on its own (memory is one province's) with its own seed and codes."""

    provinces: int
    province: str  # the SCALES entry of each


#: Written straight to PostgreSQL with COPY (``sicollect demo --scale region|national``).
MULTI_SCALES: dict[str, MultiScale] = {
    "pair": MultiScale(provinces=2, province="small"),  # 400 units, 10,000 persons: the tests
    "bench": MultiScale(provinces=2, province="district"),  # 2,000 units, 80,000 persons: a quick benchmark
    "region": MultiScale(provinces=10, province="province400"),  # 100,000 units, 4,000,000 persons
    # 500,000 units, 20,000,000 persons: generated column-wise by demo/national.py (2025 only), not by iter_province
    "national": MultiScale(provinces=50, province="province400"),
}

PROVINCE_CODE = "QN"
PROVINCE_NAME = "BHXH tỉnh Quảng Ninh"
PROVINCE_POPULATION = 1_350_000
PROVINCE_LABOUR_FORCE = 640_000
BIDV, VIETINBANK, AGRIBANK, VIETCOMBANK = "970418", "970415", "970405", "970436"


@dataclass(frozen=True)
class OfficeSpec:
    """A grassroots office and the area it serves."""

    code: str
    letter: str  # unit codes of the office: T<letter>0001 …
    place: str
    unit_weight: int  # share of the province's employers
    population: int  # before scaling to PROVINCE_POPULATION
    regions: tuple[tuple[int, int], ...]  # (wage region, weight) of its employers (Decree 74/2024)
    ward: str  # "Phường" (urban) or "Xã" (rural)
    communes: tuple[str, ...]
    bank_bin: str


OFFICES: tuple[OfficeSpec, ...] = (
    OfficeSpec("HL", "A", "Hạ Long", 30, 330_000, ((1, 1),), "Phường", (
        "Hồng Gai", "Bạch Đằng", "Trần Hưng Đạo", "Yết Kiêu", "Hồng Hải", "Hồng Hà", "Cao Xanh", "Hà Khánh",
        "Hà Lầm", "Hà Trung", "Hà Phong", "Hà Tu", "Bãi Cháy", "Giếng Đáy", "Hà Khẩu", "Việt Hưng",
        "Tuần Châu", "Hoành Bồ"), BIDV),
    OfficeSpec("CP", "B", "Cẩm Phả", 16, 195_000, ((1, 1),), "Phường", (
        "Cẩm Đông", "Cẩm Tây", "Cẩm Trung", "Cẩm Thủy", "Cẩm Thành", "Cẩm Bình", "Cẩm Thạch", "Cẩm Sơn",
        "Cẩm Phú", "Quang Hanh", "Mông Dương", "Cửa Ông", "Cẩm Thịnh", "Dương Huy", "Cộng Hòa", "Cẩm Hải"),
        VIETINBANK),
    OfficeSpec("UB", "C", "Uông Bí", 11, 125_000, ((1, 1),), "Phường", (
        "Quang Trung", "Thanh Sơn", "Yên Thanh", "Bắc Sơn", "Nam Khê", "Trưng Vương", "Vàng Danh",
        "Phương Đông", "Phương Nam", "Thượng Yên Công"), BIDV),
    OfficeSpec("MC", "D", "Móng Cái", 9, 110_000, ((1, 1),), "Phường", (
        "Ka Long", "Trần Phú", "Hòa Lạc", "Ninh Dương", "Hải Hòa", "Trà Cổ", "Bình Ngọc", "Hải Xuân",
        "Hải Yên", "Hải Đông", "Hải Sơn", "Vạn Ninh", "Quảng Nghĩa"), VIETCOMBANK),
    OfficeSpec("DT", "E", "Đông Triều", 10, 175_000, ((2, 1),), "Phường", (
        "Đông Triều", "Mạo Khê", "Đức Chính", "Kim Sơn", "Xuân Sơn", "Hưng Đạo", "Yên Thọ", "Hoàng Quế",
        "Hồng Phong", "An Sinh", "Bình Dương", "Tràng An", "Bình Khê", "Tràng Lương"), AGRIBANK),
    OfficeSpec("QY", "G", "Quảng Yên", 8, 150_000, ((2, 1),), "Phường", (
        "Quảng Yên", "Yên Giang", "Nam Hòa", "Phong Hải", "Hà An", "Tân An", "Phong Cốc", "Minh Thành",
        "Đông Mai", "Cẩm La", "Liên Hòa", "Tiền An", "Hoàng Tân"), BIDV),
    OfficeSpec("VD", "H", "Vân Đồn", 6, 62_000, ((3, 6), (4, 1)), "Xã", (
        "Cái Rồng", "Đông Xá", "Hạ Long", "Bình Dân", "Đoàn Kết", "Đài Xuyên", "Vạn Yên", "Quan Lạn",
        "Minh Châu", "Bản Sen", "Thắng Lợi", "Ngọc Vừng", "Cô Tô", "Thanh Lân"), AGRIBANK),
    OfficeSpec("TY", "K", "Tiên Yên", 5, 107_000, ((3, 1), (4, 1)), "Xã", (
        "Tiên Yên", "Đông Hải", "Đông Ngũ", "Hải Lạng", "Yên Than", "Điền Xá", "Phong Dụ", "Bình Liêu",
        "Hoành Mô", "Đồng Văn", "Ba Chẽ", "Đạp Thanh", "Thanh Lâm"), AGRIBANK),
    OfficeSpec("HH", "L", "Hải Hà", 5, 107_000, ((3, 3), (4, 2)), "Xã", (
        "Quảng Hà", "Quảng Minh", "Quảng Long", "Quảng Phong", "Quảng Đức", "Quảng Thành", "Đường Hoa",
        "Cái Chiên", "Đầm Hà", "Quảng Tân", "Tân Bình", "Quảng Lợi"), AGRIBANK),
)
OFFICE_BY_CODE = {o.code: o for o in OFFICES}

# --- unit mix ------------------------------------------------------------------------------
STATUS_SHARES = (("active", 915), ("suspended", 25), ("missing", 12), ("dissolving", 18),
                 ("dissolved", 20), ("bankrupt", 10))
OWNERSHIP_SHARES = (("private", 700), ("fdi", 50), ("state", 40), ("public", 120), ("cooperative", 50),
                    ("household", 40))
#: Closed or closing units are businesses, not schools or hospitals.
CLOSING_OWNERSHIP = (("private", 85), ("cooperative", 8), ("household", 7))
#: Relative size of an employer by ownership (FDI factories and the coal companies are the big ones).
SIZE_FACTOR = {"fdi": 6.0, "state": 4.0, "public": 1.5, "private": 1.0, "cooperative": 0.6, "household": 0.25}
#: No unit employs more than this share of the province's insured.
MAX_UNIT_SHARE = 0.02
#: Share of units in agriculture, forestry or fishery, by ownership (they may pay every 3 or 6 months).
AGRI_SHARE = {"cooperative": 0.45, "household": 0.15, "private": 0.03}
AGRI_CYCLES = ((1, 4), (3, 4), (6, 2))
#: Payment behaviour of active units before calibration.
BEHAVIOUR_SHARES = (("on_time", 800), ("few_days", 100), ("chronic", 40), ("partial", 35), ("stopped", 25))
BEHAVIOURS = tuple(b for b, _ in BEHAVIOUR_SHARES)
#: Last paid month and staff end of units that are not active: (first, last) stop month, staff months after.
CLOSING = {
    "suspended": (Month(2025, 1), Month(2025, 9), (0, 2)),
    "missing": (Month(2024, 6), Month(2025, 8), (1, 4)),
    "dissolving": (Month(2025, 2), Month(2025, 10), (0, 3)),
    "dissolved": (Month(2024, 3), Month(2025, 6), (0, 2)),
    "bankrupt": (Month(2024, 3), Month(2025, 3), (1, 3)),
}
#: Share of a punctual monthly payer's payments made with the month's salaries (before its end),
#: the habit from before July 2025 when that was the deadline; the rest come before the deadline.
ON_PAYDAY = 0.8
#: Active units that stopped paying stopped for a month in this range.
STOPPED_RANGE = (Month(2024, 9), Month(2025, 8))
NEW_UNIT_SHARE = 0.08  # active units registered in 2024–2025

# --- people ----------------------------------------------------------------------------------
FAMILY = (("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 51), ("Phan", 45), ("Vũ", 39),
          ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10), ("Đinh", 8),
          ("Trịnh", 6), ("Lý", 5), ("Mai", 5), ("Lương", 5), ("Tạ", 3), ("Đào", 4), ("Vương", 2))
MIDDLE = {"M": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Xuân", "Ngọc", "Tiến", "Mạnh"),
          "F": ("Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Phương", "Kim", "Bích")}
GIVEN = {"M": ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong",
               "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Hiếu", "Tùng", "Kiên", "Lâm", "Thịnh"),
         "F": ("Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hương", "Lan", "Linh", "Loan", "Mai", "Ngân",
               "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Tuyết", "Vân", "Yến", "Huyền")}
#: Province codes of the national ID (first three digits): most were born in Quang Ninh (022).
BIRTH_PROVINCES = (("022", 850), ("031", 40), ("030", 25), ("034", 20), ("036", 15), ("024", 20),
                   ("001", 10), ("040", 10), ("038", 10))
SI_PROVINCE = "22"  # the first two digits of an SI code issued in Quang Ninh

# --- names of employers ----------------------------------------------------------------------
BRANDS = ("Hòn Gai", "Bạch Đằng", "Vịnh Xanh", "Đông Bắc", "Tuần Châu", "Biển Bắc", "Cửa Ông", "Hoàng Gia",
          "Phú Cường", "Thịnh Phát", "An Bình", "Minh Khang", "Hưng Thịnh", "Sao Mai", "Trường Sơn", "Hải Âu",
          "Bái Tử Long", "Quang Minh", "Thành Đạt", "Đại Dương", "Việt Hàn", "Tân Long", "Kim Long",
          "Phúc Lộc", "Vân Long", "Đức Thành", "Nam Phong", "Bình Minh", "Hoàng Long", "Trường Thành")
TRADES = ("Xây dựng", "Thương mại", "Vận tải", "Du lịch", "Khai khoáng", "Cơ khí", "Dịch vụ", "May mặc",
          "Thương mại và Dịch vụ", "Xây dựng và Thương mại", "Đầu tư", "Vật liệu xây dựng", "Khách sạn",
          "Logistics", "Môi trường", "Thực phẩm", "Điện máy", "Nội thất")
AGRI_TRADES = ("Thủy sản", "Nuôi trồng thủy sản", "Nông nghiệp", "Lâm nghiệp", "Chế biến hải sản")
FDI_BRANDS = ("Kaisei Electric", "Seoul Precision", "Nanyang Garment", "Shinwoo Tech", "Taiyo Cable",
              "Golden Harbor", "Pacific Timber", "Daewon Textile", "Hoa Nam Footwear", "Tokai Parts",
              "Everbright Solar", "Lotus Ocean")
STATE_NAMES = ("Công ty Than {p} - TKV", "Công ty Tuyển than {p}", "Công ty CP Cảng {p}",
               "Công ty CP Xi măng {p}", "Công ty CP Nước sạch {p}", "Công ty CP Môi trường đô thị {p}",
               "Công ty Xây lắp mỏ {p}", "Công ty Cơ khí mỏ {p}")
PUBLIC_NAMES = ("Trường Mầm non {c}", "Trường Tiểu học {c}", "Trường THCS {c}", "Trạm Y tế {w} {c}",
                "UBND {w} {c}", "Trường THPT {p}", "Trung tâm Y tế {p}", "Bệnh viện Đa khoa {p}",
                "Trung tâm Văn hóa - Thể thao {p}", "Ban Quản lý dự án {p}")

# --- wages -----------------------------------------------------------------------------------
#: Private-sector wage as a multiple of the regional floor: (weight, low, high); low == high == 1: the floor itself.
WAGE_BANDS = ((36, 1.0, 1.0), (35, 1.0, 1.5), (22, 1.5, 3.0), (5, 3.0, 6.0), (2, 9.6, 16.0))
#: FDI factories and the state coal and port companies pay more than the private average.
WAGE_PREMIUM = {"fdi": 1.15, "state": 1.2}
#: Public-sector (hành chính sự nghiệp) salary coefficients (× base salary).
COEFFICIENTS = (2.34, 2.67, 3.0, 3.33, 3.66, 3.99, 4.32, 4.65, 4.98, 5.36, 5.76, 6.2, 6.56)
REFORM = Month(2024, 7)  # base salary 1.8 M → 2.34 M; regional floors up (Decrees 73, 74/2024)
FULL = frozenset({"si", "hi", "ui", "oadi"})
NO_UI = frozenset({"si", "hi", "oadi"})
NO_UI_SHARE = {"public": 0.55, "state": 0.08}  # civil servants do not pay UI; others rarely lack it
NO_UI_OTHER = 0.015


# --- records -------------------------------------------------------------------------------------
@dataclass(slots=True)
class OfficeRec:
    code: str
    name: str
    parent: str | None
    bank_account: str
    bank_bin: str


@dataclass(slots=True)
class CommuneRec:
    code: str
    name: str
    office: str
    population: int
    labour_force: int


@dataclass(slots=True)
class UnitRec:
    """An employer; ``behaviour`` and ``stop`` drive its payments (calibration may change them)."""

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
    bank_account: str
    headcount: int
    behaviour: str
    stop: Month | None  # last month it paid for (stopped, suspended or closed units)
    staff_end: Month | None  # closed units: the last month anyone is insured through them


@dataclass(slots=True)
class PersonRec:
    si_code: str
    national_id: str
    full_name: str
    birth_date: date
    sex: str
    commune: str


@dataclass(slots=True)
class PartRec:
    si_code: str
    unit: str
    from_month: Month
    to_month: Month | None
    wage: int
    funds: frozenset[str]
    declared_on: date | None = None
    retro_interest: bool = False


@dataclass(slots=True)
class PayRec:
    payment_id: str
    unit: str
    paid_on: date
    amount: int
    reference: str
    channel: str


@dataclass(slots=True)
class PlanRec:
    year: int
    office: str
    indicator: str
    value: int


@dataclass(frozen=True, slots=True)
class DueItem:
    """An amount a unit owes: the dues of ``month`` (``arising == month``) or an adjustment to
    ``month`` that a declaration in ``arising`` made; ``deadline`` is the last day to pay it."""

    month: Month
    arising: Month
    deadline: date
    amount: int


#: ``(kind, records)``; kinds in order: offices, communes, units, then persons and participations
#: per chunk of units, then payments per chunk, then plans.
Batch = tuple[str, list[Any]]
#: ``on_step(stage, n)``: ``n`` more units done in ``stage`` ("people" or "payments").
StepCallback = Callable[[str, int], None]


@dataclass
class Province:
    """A whole demo province in memory (:func:`generate`)."""

    offices: list[OfficeRec] = field(default_factory=list)
    communes: list[CommuneRec] = field(default_factory=list)
    units: list[UnitRec] = field(default_factory=list)
    persons: list[PersonRec] = field(default_factory=list)
    participations: list[PartRec] = field(default_factory=list)
    payments: list[PayRec] = field(default_factory=list)
    plans: list[PlanRec] = field(default_factory=list)
    agents: list[Any] = field(default_factory=list)
    residents: list[PersonRec] = field(default_factory=list)  # persons outside employers
    voluntary: list[Any] = field(default_factory=list)
    households: list[Any] = field(default_factory=list)
    members: list[Any] = field(default_factory=list)
    receipts: list[Any] = field(default_factory=list)
    dues: dict[str, list[DueItem]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def plan(self, year: int, office: str, indicator: str) -> int:
        return next(p.value for p in self.plans if (p.year, p.office, p.indicator) == (year, office, indicator))


# --- helpers -------------------------------------------------------------------------------------
class _Picker:
    """Weighted choice with precomputed cumulative weights (fast for 350 k draws)."""

    def __init__(self, table: Sequence[tuple[T, float]]) -> None:
        self.values = [v for v, _ in table]
        self.cum = list(accumulate(w for _, w in table))

    def __call__(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cum)[0]


def _deal(rng: random.Random, shares: Sequence[tuple[str, int]], n: int) -> list[str]:
    """``n`` labels in the given proportions (largest remainder, each at least once when ``n``
    allows), shuffled: exact mixes keep a 200-unit province from missing a status."""
    total = sum(w for _, w in shares)
    exact = [(label, n * w / total) for label, w in shares]
    counts = {label: max(1 if n >= len(shares) else 0, int(x)) for label, x in exact}
    by_remainder = sorted(exact, key=lambda e: e[1] - int(e[1]), reverse=True)
    i = 0
    while sum(counts.values()) < n:
        counts[by_remainder[i % len(by_remainder)][0]] += 1
        i += 1
    while sum(counts.values()) > n:  # the minimum of one overshot: take from the largest
        counts[max(counts, key=counts.__getitem__)] -= 1
    deck = [label for label, _ in shares for _ in range(counts[label])]
    rng.shuffle(deck)
    return deck


def _apportion(weights: Sequence[float], total: int, minimum: int = 1) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total`` (each ≥ ``minimum``)."""
    spare = total - minimum * len(weights)
    s = sum(weights)
    exact = [spare * w / s for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: spare - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


def _day_in(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _month_between(rng: random.Random, first: Month, last: Month) -> Month:
    return Month.from_index(rng.randint(first.index, last.index))


def _before(month: Month, months: int = 1) -> Month:
    """``months`` months before ``month`` (``Month - int`` is typed ``Month | int``)."""
    return month + -months


def _round(amount: float, unit: int) -> int:
    return round(amount / unit) * unit


def cycle_end(cycle: int, month: Month) -> Month:
    """The last month of the calendar cycle (1, 3 or 6 months) ``month`` belongs to."""
    return Month(month.year, ((month.month - 1) // cycle + 1) * cycle)


# --- offices and communes ------------------------------------------------------------------------
def _offices() -> list[OfficeRec]:
    out = [OfficeRec(PROVINCE_CODE, PROVINCE_NAME, None, "12610000868686", BIDV)]
    for i, o in enumerate(OFFICES, start=1):
        out.append(OfficeRec(o.code, f"BHXH cơ sở {o.place}", PROVINCE_CODE, f"12610000{868600 + i:06d}",
                             o.bank_bin))
    return out


def _communes(rng: random.Random, scale: Scale) -> list[CommuneRec]:
    factor = scale.persons / SCALES["province"].persons
    raw_total = sum(o.population for o in OFFICES)
    out: list[CommuneRec] = []
    for o in OFFICES:
        names = o.communes[: scale.communes_per_office] if scale.communes_per_office else o.communes
        office_pop = o.population * PROVINCE_POPULATION / raw_total * factor
        weights = [rng.uniform(0.5, 1.5) for _ in names]
        for j, (name, w) in enumerate(zip(names, weights, strict=True), start=1):
            pop = round(office_pop * w / sum(weights))
            labour = round(pop * PROVINCE_LABOUR_FORCE / PROVINCE_POPULATION * rng.uniform(0.94, 1.06))
            out.append(CommuneRec(f"{o.code}{j:02d}", f"{o.ward} {name}", o.code, pop, labour))
    return out


#: No office's employees (everyone ever insured through its units, 2024–2025) above this share of its labour force.
EMPLOYED_CEILING = 0.72


def _fit_communes(communes: list[CommuneRec], units: list[UnitRec]) -> None:
    """Move population and labour force between offices (the province's totals unchanged) so that no
    office has more employees than :data:`EMPLOYED_CEILING` of its labour force: a small province's
    few big employers would otherwise put more insured in a commune than it has workers. A few rounds
    of scaling up the offices above the ceiling and the whole back down to the totals."""
    heads: Counter[str] = Counter()
    for u in units:
        heads[u.office] += u.headcount
    total_pop = sum(c.population for c in communes)
    total_lab = sum(c.labour_force for c in communes)
    scale = dict.fromkeys(heads, 1.0)
    labour: Counter[str] = Counter()
    for c in communes:
        labour[c.office] += c.labour_force
    for _ in range(20):
        over = {o: heads[o] / (labour[o] * scale[o] * EMPLOYED_CEILING) for o in labour}
        if max(over.values()) <= 1.0:
            break
        for o, x in over.items():
            if x > 1.0:
                scale[o] *= x * 1.001
        norm = total_lab / sum(labour[o] * scale[o] for o in labour)
        scale = {o: f * norm for o, f in scale.items()}
    if all(abs(f - 1.0) < 1e-9 for f in scale.values()):
        return
    for c in communes:
        c.population = round(c.population * scale[c.office])
        c.labour_force = round(c.labour_force * scale[c.office])
    # the rounding's few persons go to (or come from) the largest commune
    max(communes, key=lambda c: c.population).population += total_pop - sum(c.population for c in communes)
    max(communes, key=lambda c: c.labour_force).labour_force += total_lab - sum(c.labour_force for c in communes)


# --- units ---------------------------------------------------------------------------------------
def _unit_name(rng: random.Random, ownership: str, agri: bool, office: OfficeSpec, taken: set[str]) -> str:
    commune = rng.choice(office.communes)
    if ownership == "fdi":
        name = f"Công ty TNHH {rng.choice(FDI_BRANDS)} Việt Nam"
    elif ownership == "state":
        name = rng.choice(STATE_NAMES).format(p=office.place)
    elif ownership == "public":
        name = rng.choice(PUBLIC_NAMES).format(c=commune, w=office.ward, p=office.place)
    elif ownership == "cooperative":
        trade = rng.choice(AGRI_TRADES) if agri else rng.choice(("Dịch vụ tổng hợp", "Vận tải", "Tiểu thủ công"))
        name = f"Hợp tác xã {trade} {commune}"
    elif ownership == "household":
        sex = rng.choice("MF")
        name = f"Hộ kinh doanh {_person_name(rng, sex)}"
    else:
        form = rng.choice(("Công ty TNHH", "Công ty TNHH", "Công ty CP", "Công ty TNHH MTV"))
        trade = rng.choice(AGRI_TRADES) if agri else rng.choice(TRADES)
        name = f"{form} {trade} {rng.choice(BRANDS)}"
    unique, k = name, 1
    while unique in taken:
        k += 1
        unique = f"{name} {k}"
    taken.add(unique)
    return unique


def _units(rng: random.Random, scale: Scale) -> list[UnitRec]:
    n = scale.units
    statuses = _deal(rng, STATUS_SHARES, n)
    n_active = statuses.count("active")
    behaviours = iter(_deal(rng, BEHAVIOUR_SHARES, n_active))
    office_pick = _Picker([(o, o.unit_weight) for o in OFFICES])
    ownership_pick = _Picker(OWNERSHIP_SHARES)
    closing_pick = _Picker(CLOSING_OWNERSHIP)
    tax_numbers = rng.sample(range(10_000_000, 100_000_000), n)
    seq: Counter[str] = Counter()
    taken: set[str] = set()
    units: list[UnitRec] = []
    weights: list[float] = []
    for i, status in enumerate(statuses):
        office: OfficeSpec = office_pick(rng)
        ownership = ownership_pick(rng) if status == "active" else closing_pick(rng)
        agri = rng.random() < AGRI_SHARE.get(ownership, 0.0)
        cycle = _Picker(AGRI_CYCLES)(rng) if agri else 1
        region = _Picker(office.regions)(rng)
        stop: Month | None = None
        staff_end: Month | None = None
        if status == "active":
            behaviour = next(behaviours)
            if rng.random() < NEW_UNIT_SHARE:
                registered = _day_in(rng, FIRST.first_day, Month(2025, 9).last_day)
            else:
                registered = _day_in(rng, date(2000, 1, 1), date(2023, 12, 31))
            if behaviour == "stopped":
                stop = _month_between(rng, *STOPPED_RANGE)
        else:
            behaviour = "stopped"
            first, last, (lo, hi) = CLOSING[status]
            stop = _month_between(rng, first, last)
            staff_end = min(LAST, stop + rng.randint(lo, hi))
            registered = _day_in(rng, date(2000, 1, 1), date(2022, 12, 31))
        seq[office.code] += 1
        units.append(UnitRec(
            code=f"T{office.letter}{seq[office.code]:04d}",
            name=_unit_name(rng, ownership, agri, office, taken),
            tax_code=f"57{tax_numbers[i]:08d}", office=office.code, ownership=ownership, status=status,
            region=region, cycle=cycle, registered_on=registered, low_risk=rng.random() < 0.05 and not agri,
            bank_account=f"{rng.randint(10**12, 10**13 - 1)}", headcount=0, behaviour=behaviour, stop=stop,
            staff_end=staff_end,
        ))
        size = min(rng.paretovariate(1.25), 400.0) * SIZE_FACTOR[ownership] * (1.0 if status == "active" else 0.5)
        weights.append(size)
    _ensure_every_cycle(units)
    cap = MAX_UNIT_SHARE * sum(weights)
    for u, count in zip(units, _apportion([min(w, cap) for w in weights], scale.persons), strict=True):
        u.headcount = count
    return units


def _ensure_every_cycle(units: list[UnitRec]) -> None:
    """A small province still shows 3- and 6-monthly payers: turn private units into fish farms."""
    present = {u.cycle for u in units}
    candidates = (u for u in units if u.status == "active" and u.ownership in ("private", "cooperative"))
    for cycle in (3, 6):
        if cycle not in present:
            u = next(candidates)
            u.cycle = cycle
            present.add(cycle)


# --- persons and participations -------------------------------------------------------------------
_FAMILY = _Picker(FAMILY)
_BIRTH = _Picker(BIRTH_PROVINCES)
_WAGE_BAND = _Picker([((lo, hi), w) for w, lo, hi in WAGE_BANDS])


def _person_name(rng: random.Random, sex: str) -> str:
    return f"{_FAMILY(rng)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def _person(rng: random.Random, index: int, commune: str, born_from: date = date(1966, 1, 1),
            born_to: date = date(2006, 6, 30)) -> PersonRec:
    sex = "M" if rng.random() < 0.54 else "F"
    born = _day_in(rng, born_from, born_to)
    century_sex = (0 if born.year < 2000 else 2) + (0 if sex == "M" else 1)
    # i ↦ i × prime mod 10ⁿ is a bijection: unique, random-looking numbers without a set
    serial = (index * 7_919 + 104_729) % 1_000_000
    si_serial = (index * 48_271 + 1_234_567) % 100_000_000
    return PersonRec(
        si_code=f"{SI_PROVINCE}{si_serial:08d}",
        national_id=f"{_BIRTH(rng)}{century_sex}{born.year % 100:02d}{serial:06d}",
        full_name=_person_name(rng, sex), birth_date=born, sex=sex, commune=commune,
    )


def _wage(rng: random.Random, u: UnitRec, month: Month, book: RuleBook, coefficient: float) -> int:
    """A contribution wage for ``month``: salary coefficient × base salary in the public sector,
    a multiple of the regional floor elsewhere (many exactly at it, a few above the cap)."""
    if coefficient:
        return _round(coefficient * book.base(month), 1_000)
    floor = book.floor(u.region, month)
    lo, hi = _WAGE_BAND(rng)
    if hi == 1.0:
        return floor
    wage = floor * rng.uniform(lo, hi) * WAGE_PREMIUM.get(u.ownership, 1.0)
    return _round(wage, 10_000)


def _participations(rng: random.Random, u: UnitRec, p: PersonRec, book: RuleBook) -> list[PartRec]:
    """One person's declarations at ``u``: mostly one row; raises, the 2024 reform, late ones."""
    start = FIRST
    if u.registered_on > FIRST.first_day:
        start = Month.of(u.registered_on) + rng.randint(0, 1)
    if rng.random() < 0.18:  # hired during the two years
        start = _month_between(rng, start, _before(LAST)) if start < _before(LAST) else start
    end: Month | None = None
    if rng.random() < 0.11:  # left
        end = start + rng.randint(1, 20)
        end = None if end >= LAST else end
    if u.staff_end is not None:  # a closing unit sheds its staff
        if start > u.staff_end:
            start = max(FIRST, _before(u.staff_end, rng.randint(0, 3)))
        end = u.staff_end if end is None else min(end, u.staff_end)
    start = min(start, LAST)
    funds = NO_UI if rng.random() < NO_UI_SHARE.get(u.ownership, NO_UI_OTHER) else FULL
    coefficient = 0.0
    if u.ownership == "public":
        coefficient = rng.choice(COEFFICIENTS) * rng.uniform(1.0, 1.25)  # with allowances
    wage = _wage(rng, u, start, book, coefficient)
    segments: list[list[Any]] = [[start, end, wage]]  # in-time rows: from, to, wage

    def change(at: Month, new_wage: int) -> None:
        first, last, old = segments[-1]
        if first < at and (last is None or at <= last) and new_wage != old:
            segments[-1][1] = _before(at)
            segments.append([at, last, new_wage])

    if coefficient:
        change(REFORM, _round(coefficient * book.base(REFORM), 1_000))  # the July 2024 salary reform
    elif wage == book.floor(u.region, start) and rng.random() < 0.25:
        change(REFORM, book.floor(u.region, REFORM))  # re-declared at the new regional floor
    if rng.random() < 0.12:  # a raise, declared in time
        at = Month(2025, 1) if rng.random() < 0.6 else _month_between(rng, Month(2024, 4), Month(2025, 10))
        change(at, _round(segments[-1][2] * rng.uniform(1.04, 1.15), 10_000))
    rows = [PartRec(p.si_code, u.code, a, b, w, funds) for a, b, w in segments]
    roll = rng.random()
    if roll < 0.015 and start >= Month(2024, 3) and start <= Month(2025, 9):
        # registered late: declared one to three months after starting
        declared = min(AS_OF, (start + rng.randint(1, 3)).first_day + timedelta(days=rng.randint(0, 27)))
        interest = rng.random() < 0.5
        for r in rows:
            if r.from_month.last_day < declared:  # later raises were declared in time
                r.declared_on, r.retro_interest = declared, interest
    elif roll < 0.03:
        # a retroactive raise: declared two to four months after it took effect
        at = _month_between(rng, Month(2024, 4), Month(2025, 8))
        last = rows[-1]
        declared = min(AS_OF, (at + rng.randint(2, 4)).first_day + timedelta(days=rng.randint(0, 27)))
        if last.from_month < at and (last.to_month is None or at <= last.to_month) and Month.of(declared) > at:
            rows.append(PartRec(p.si_code, u.code, at, last.to_month, _round(last.wage * 1.1, 10_000), funds,
                                declared_on=declared, retro_interest=rng.random() < 0.5))
    return rows


# --- what each unit owes ---------------------------------------------------------------------------
def rows_of(parts: Iterable[PartRec]) -> dict[str, list[Row]]:
    """The calculator's rows per unit code."""
    rows: dict[str, list[Row]] = defaultdict(list)
    for seq, r in enumerate(parts):
        rows[r.unit].append(Row(r.si_code, r.from_month, r.to_month, r.wage, r.funds, r.declared_on,
                                r.retro_interest, seq))
    return rows


def unit_dues(u: UnitRec, rows: list[Row], book: RuleBook) -> list[DueItem]:
    """What ``u`` owes 2024-01 … 2025-12: each month's dues as declared by its end, then the
    adjustments later declarations made to earlier months (late registrations, retroactive
    raises), due by their own month's deadline when they carry interest, otherwise by the
    declaring month's."""
    terms = Terms(u.region, u.cycle, u.low_risk)

    def total(month: Month, known_on: date) -> int:
        return sum(a.amount for a in assess(rows, month, terms, book, known_on).values())

    items: list[DueItem] = []
    for m in MONTHS:
        amount = total(m, m.last_day)
        if amount:
            items.append(DueItem(m, m, book.deadline(u.cycle, m), amount))
    late: dict[Month, list[Row]] = defaultdict(list)
    for r in rows:
        if r.declared_on is not None:
            late[Month.of(r.declared_on)].append(r)
    for d in sorted(late):
        retro = any(r.retro_interest for r in late[d])
        for m in month_range(max(FIRST, min(r.from_month for r in late[d])), _before(d)):
            delta = total(m, d.last_day) - total(m, _before(d).last_day)
            if delta:
                items.append(DueItem(m, d, book.deadline(u.cycle, m if retro else d), delta))
    return items


def late_principal(items: Iterable[DueItem], payments: Iterable[PayRec], as_of: date) -> int:
    """Unpaid principal past its deadline on ``as_of`` (payments settle the oldest amounts first)."""
    due = sum(i.amount for i in items if i.deadline < as_of and i.arising.first_day <= as_of)
    paid = sum(p.amount for p in payments if p.paid_on <= as_of)
    return max(0, due - paid)


# --- payments --------------------------------------------------------------------------------------
def simulate_payments(u: UnitRec, items: list[DueItem], book: RuleBook, seed: int) -> list[PayRec]:
    """The unit's payments through :data:`AS_OF`, following its behaviour.

    Each cycle (a month, or a calendar quarter or half for 3-/6-monthly payers) is paid at
    once, the dues and the adjustments declared in it: on time (with the month's salaries, or
    before the deadline), a few days late, one to three months late (``chronic``), in part
    (``partial``), or not at all after ``stop`` (half the active units that stopped pay their
    current months again after three to nine, leaving the arrears). A few payments are rounded up (a credit) or
    split in two transfers. The unit's own generator makes the result depend on the unit's
    behaviour only, so calibration can re-draw one unit without disturbing the others.
    """
    rng = random.Random(f"{seed}/{u.code}/{u.behaviour}/{u.stop}")
    lag = rng.randint(1, 3)
    share = rng.uniform(0.55, 0.9)
    resume: Month | None = None  # an active unit that stopped may pay current months again later
    if u.status == "active" and u.stop is not None and rng.random() < 0.5:
        resume = u.stop + rng.randint(3, 9)
    cycles: dict[Month, int] = defaultdict(int)
    for item in items:
        cycles[cycle_end(u.cycle, item.arising)] += item.amount
    out: list[PayRec] = []
    for end in sorted(cycles):
        amount = cycles[end]
        if amount <= 0 or (u.stop is not None and end > u.stop and (resume is None or end < resume)):
            continue
        deadline = book.deadline(u.cycle, end)
        late = u.behaviour == "few_days" and rng.random() < 0.55
        if u.behaviour == "chronic":
            paid_on = deadline + timedelta(days=30 * lag + rng.randint(-6, 8))
        elif late:
            paid_on = deadline + timedelta(days=rng.randint(1, 20))
        elif u.cycle == 1 and rng.random() < ON_PAYDAY:
            paid_on = end.last_day - timedelta(days=rng.randint(0, 12))  # with the month's salaries
        else:
            paid_on = deadline - timedelta(days=rng.randint(0, 20))
        paid_on = max(paid_on, end.first_day + timedelta(days=9))
        if u.behaviour == "partial" and rng.random() < 0.85:
            amount = _round(amount * share, 1_000)
        elif rng.random() < 0.015:
            amount = (amount // 1_000_000 + 1) * 1_000_000  # rounded up: an overpayment, kept as credit
        parts = [amount]
        if rng.random() < 0.03 and amount > 2_000_000:
            first = _round(amount * 0.6, 1_000)
            parts = [first, amount - first]
        channel = "bank"
        r = rng.random()
        if u.ownership == "household":
            channel = "bank" if r < 0.4 else "counter" if r < 0.8 else "agent"
        elif r < 0.05:
            channel = "counter"
        for k, part in enumerate(parts):
            day = paid_on - timedelta(days=4 * (len(parts) - 1 - k))  # a split's first transfer came earlier
            if day > AS_OF or part <= 0:
                break
            out.append(PayRec(f"DEMO-{u.code}-{len(out) + 1:03d}", u.code, day, part,
                              f"BHXH {u.code} T{end.month:02d}/{end.year}", channel))
    return out


#: A calibration move: the unit, its new behaviour and stop, its payments then, its late principal then.
Move = tuple[UnitRec, str, Month | None, list[PayRec], tuple[int, ...]]


def _calibrate(units: list[UnitRec], dues: dict[str, list[DueItem]], pays: dict[str, list[PayRec]],
               plan: int, rng: random.Random, book: RuleBook, seed: int) -> dict[str, Any]:
    """Move active units between behaviours until late principal ÷ ``plan`` (the 2025 receivable
    plan) is as close to :data:`DEBT_TARGET` on :data:`CHECK_DAYS` as single moves can bring it.

    Each candidate (up to :data:`CALIBRATION_CANDIDATES` active units, in seeded order) gets one
    alternative drawn up front: a punctual unit starts paying late, in part or stops; a late
    payer is brought to pay on time. Then, greedily, the move that brings the days' ratios
    closest to the target (sum of squares) is applied, while any move still helps. Each
    behaviour keeps at least two units.
    """
    def late_of(u: UnitRec, payments: list[PayRec]) -> tuple[int, ...]:
        return tuple(late_principal(dues[u.code], payments, day) for day in CHECK_DAYS)

    def loss(totals: Sequence[int]) -> float:
        return sum((t / plan - DEBT_TARGET) ** 2 for t in totals)

    def settled(totals: Sequence[int]) -> bool:
        return all(abs(t / plan - DEBT_TARGET) <= DEBT_TOLERANCE for t in totals)

    late = {u.code: late_of(u, pays[u.code]) for u in units}
    totals = [sum(v[i] for v in late.values()) for i in range(len(CHECK_DAYS))]
    before = list(totals)
    count = Counter(u.behaviour for u in units if u.status == "active")
    order = [u for u in units if u.status == "active"]
    rng.shuffle(order)
    moves: list[Move] = []
    for u in order[:CALIBRATION_CANDIDATES]:
        if u.behaviour == "on_time":
            new = rng.choices(("stopped", "chronic", "partial"), weights=(5, 3, 2))[0]
            stop = _month_between(rng, *STOPPED_RANGE) if new == "stopped" else None
        elif u.behaviour in ("chronic", "partial", "stopped"):
            new, stop = "on_time", None
        else:
            continue
        old = (u.behaviour, u.stop)
        u.behaviour, u.stop = new, stop
        trial = simulate_payments(u, dues[u.code], book, seed)
        u.behaviour, u.stop = old
        changed = late_of(u, trial)
        if changed != late[u.code]:
            moves.append((u, new, stop, trial, changed))
    def after(current: list[int], move: Move) -> list[int]:
        return [t - a + b for t, a, b in zip(current, late[move[0].code], move[4], strict=True)]

    moved = 0
    while moves and not settled(totals):
        allowed = [m for m in moves if count[m[0].behaviour] > 2]
        if not allowed:
            break
        current = totals
        best = min(allowed, key=lambda m: loss(after(current, m)))
        if loss(after(current, best)) >= loss(current):
            break
        u, new, stop, trial, changed = best
        totals = after(current, best)
        count[u.behaviour] -= 1
        count[new] += 1
        u.behaviour, u.stop = new, stop
        pays[u.code], late[u.code] = trial, changed
        moves.remove(best)
        moved += 1
    return {"late_before_calibration": dict(zip(CHECK_DAYS, before, strict=True)),
            "late": dict(zip(CHECK_DAYS, totals, strict=True)), "units_moved": moved,
            "late_ratio": {day: t / plan for day, t in zip(CHECK_DAYS, totals, strict=True)}}


# --- plans -----------------------------------------------------------------------------------------
def _plans(rng: random.Random, communes: list[CommuneRec], assessed: dict[tuple[int, str], int],
           heads: dict[tuple[int, str, str], int]) -> list[PlanRec]:
    """Annual plans per grassroots office and, summed, for the province. The receivable (tổng số
    phải thu, also the revenue plan) is the year's assessed amount × :data:`PLAN_MARGIN`;
    participant targets a few per cent above the year-end headcount, as plans usually are (HI: 1–4 %,
    as Quang Ninh's 97.52 % of its HI plan). Voluntary SI and household-list HI count when generated."""
    population: dict[str, int] = defaultdict(int)
    labour: dict[str, int] = defaultdict(int)
    for c in communes:
        population[c.office] += c.population
        labour[c.office] += c.labour_force
    out: list[PlanRec] = []
    for year in YEARS:
        growth = 0.99 if year == 2024 else 1.0
        totals: Counter[str] = Counter()
        for o in OFFICES:
            receivable = _round(assessed[(year, o.code)] * PLAN_MARGIN, 1_000_000)
            stretch = rng.uniform(1.04, 1.09)
            pop = round(population[o.code] * growth)
            lab = round(labour[o.code] * growth)
            values = {
                "revenue": receivable,
                "receivable": receivable,
                "debt_ratio_ceiling_bp": rng.randrange(180, 320, 10),
                "si_compulsory": round(heads[(year, o.code, "si")] * stretch),
                # voluntary SI and household HI (0 without them): the year-end count a little stretched
                "si_voluntary": round(heads[(year, o.code, "voluntary")] * stretch),
                "ui": round(heads[(year, o.code, "ui")] * stretch),
                # HI: employees and household-list members (a voluntary payer on a list is listed once)
                "hi": round((heads[(year, o.code, "si")] + heads[(year, o.code, "listed")]) * rng.uniform(1.01, 1.04)),
                "oadi": round(heads[(year, o.code, "si")] * stretch),
                "population": pop,
                "labour_force": lab,
            }
            for indicator, value in values.items():
                out.append(PlanRec(year, o.code, indicator, value))
                totals[indicator] += value
        totals["debt_ratio_ceiling_bp"] = 250 if year == 2024 else 210  # "lower than 2.1 %" (Quang Ninh, 2025)
        out.extend(PlanRec(year, PROVINCE_CODE, indicator, value) for indicator, value in totals.items())
    return out


# --- the province ----------------------------------------------------------------------------------
def iter_province(scale: str, seed: int, book: RuleBook, on_step: StepCallback | None = None,
                  stats: dict[str, Any] | None = None, coverage: bool = True) -> Iterator[Batch]:
    """Yield the demo province as batches of records (see :data:`Batch`).

    Only the units and their :class:`DueItem` lists are held for the whole run; persons and
    participations are yielded a chunk of units at a time and forgotten. ``coverage`` adds the people
    outside employers (:mod:`.coverage`: voluntary SI, household HI, agents and receipts), a commune at
    a time; the multi-province benchmark scales leave them out. ``stats`` (if given)
    receives the plan and debt figures at the end.
    """
    spec = SCALES[scale]
    step = on_step or (lambda stage, n: None)
    rng = random.Random(seed)
    offices = _offices()
    communes = _communes(rng, spec)
    units = _units(rng, spec)
    _fit_communes(communes, units)
    yield "offices", offices
    yield "communes", communes
    if coverage:
        yield "agents", cov.agents(offices, communes, {o.code: o.place for o in OFFICES})
    # where employees live: mostly in a commune of their unit's office, in proportion to its labour force
    local_pick = {o.code: _Picker([(c.code, c.labour_force) for c in communes if c.office == o.code])
                  for o in OFFICES}
    anywhere = _Picker([(c.code, c.labour_force) for c in communes])
    yield "units", units

    dues: dict[str, list[DueItem]] = {}
    assessed: dict[tuple[int, str], int] = defaultdict(int)
    heads: dict[tuple[int, str, str], int] = defaultdict(int)
    employed = cov.Employed(defaultdict(int), defaultdict(int))
    index = 0
    for start in range(0, len(units), spec.chunk):
        chunk = units[start : start + spec.chunk]
        persons: list[PersonRec] = []
        parts: list[PartRec] = []
        for u in chunk:
            unit_parts: list[PartRec] = []
            for _ in range(u.headcount):
                index += 1
                local = rng.random() < 0.92
                commune = local_pick[u.office](rng) if local else anywhere(rng)
                person = _person(rng, index, commune)
                persons.append(person)
                rows = _participations(rng, u, person, book)
                unit_parts.extend(rows)
                _count_heads(heads, u.office, rows)
                _count_employed(employed, commune, rows)
            parts.extend(unit_parts)
            items = unit_dues(u, rows_of(unit_parts)[u.code], book) if unit_parts else []
            dues[u.code] = items
            for item in items:
                assessed[(item.month.year, u.office)] += item.amount
        yield "persons", persons
        yield "participations", parts
        step("people", len(chunk))

    if coverage:  # voluntary SI, household HI and the agents' receipts, commune by commune (own generator)
        crng = random.Random(f"{seed}/coverage")
        cbook = cov.coverage_book(book)
        ward = {o.code: o.ward for o in OFFICES}

        def resident(r: random.Random, commune: str, born_from: date, born_to: date) -> PersonRec:
            nonlocal index
            index += 1
            return _person(r, index, commune, born_from, born_to)

        receipts = cov._Receipts()  # numbered per agent: a post office serves all its office's communes
        for c in communes:
            receipts.out = []
            found = cov.communes_people(crng, c, ward[c.office], employed, cbook, resident, receipts)
            cov.year_end_counts(found["voluntary"], found["members"], c.office, heads, YEARS)
            for kind in ("residents", "voluntary", "households", "members"):
                yield kind, found[kind]
            yield "receipts", receipts.out

    plans = _plans(rng, communes, assessed, heads)
    receivable = next(p.value for p in plans if (p.year, p.office, p.indicator) == (2025, PROVINCE_CODE,
                                                                                     "receivable"))
    pays = {u.code: simulate_payments(u, dues[u.code], book, seed) for u in units}
    figures = _calibrate(units, dues, pays, receivable, rng, book, seed)
    for start in range(0, len(units), spec.chunk):
        chunk = units[start : start + spec.chunk]
        yield "payments", [p for u in chunk for p in pays.pop(u.code)]
        step("payments", len(chunk))
    yield "plans", plans
    if stats is not None:
        stats.update(figures, receivable_2025=receivable, behaviours=dict(Counter(u.behaviour for u in units)),
                     dues=dues)


def _count_employed(employed: Any, commune: str, rows: list[PartRec]) -> None:
    """A person employed at any time in 2024, in 2025, counted in their commune (every row has HI)."""
    for year, counts in ((2024, employed.in_2024), (2025, employed.in_2025)):
        first, last = Month(year, 1), Month(year, 12)
        if any(r.from_month <= last and (r.to_month is None or r.to_month >= first) for r in rows):
            counts[commune] += 1


def _count_heads(heads: dict[tuple[int, str, str], int], office: str, rows: list[PartRec]) -> None:
    """Year-end participants (December, as finally declared) for the plans."""
    for year in YEARS:
        dec = Month(year, 12)
        covering = [r for r in rows if r.from_month <= dec and (r.to_month is None or dec <= r.to_month)]
        if covering:
            heads[(year, office, "si")] += 1
            if "ui" in covering[-1].funds:
                heads[(year, office, "ui")] += 1


def generate(scale: str, seed: int, book: RuleBook) -> Province:
    """The whole demo province in memory (small scale; tests, determinism checks)."""
    p = Province()
    stats: dict[str, Any] = {}
    for kind, records in iter_province(scale, seed, book, stats=stats):
        getattr(p, kind).extend(records)
    p.dues = stats.pop("dues")
    p.stats = stats
    return p


def late_debt_ratio(p: Province, as_of: date = AS_OF) -> float:
    """Late principal of the whole province on ``as_of`` ÷ the 2025 receivable plan (ledger-free)."""
    pays: dict[str, list[PayRec]] = defaultdict(list)
    for pay in p.payments:
        pays[pay.unit].append(pay)
    late = sum(late_principal(p.dues[u.code], pays[u.code], as_of) for u in p.units)
    return late / p.plan(2025, PROVINCE_CODE, "receivable")
