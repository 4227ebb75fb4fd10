"""Employer declarations (form D02-LT / TK1-TS, RULES.md §6): read, check, preview, commit.

A declaration file is one unit's list of changes, one employee per line, as
CSV or xlsx. Each line becomes one ``registry.Participation`` row, the shape
the calculator reads (see :mod:`sicollect.contributions.assessment`): rows are
declarations, the row declared last wins for a person, unit and month, a wage
of 0 means "not participating", and ``declared_on`` plus ``retro_interest``
turn a row about past months into adjustments of those months.

Action codes (``phương án``) are data, not code: ``exchange/data/d02lt_actions.csv``
holds each code with the portal's label and the kind of row it writes (RULES.md
§6: the codes and labels of the VSS portal's template, each still to
**verify** against the template an office downloads). The portal writes them
as ``CODE-label`` (``TM-Tăng mới``); the code before the dash is read.

=======  ===============================================================
kind     the row it writes, from ``from_month``
=======  ===============================================================
start    wage from the line; the person must not be participating there
         that month already (TM, TC, ON)
retro    ``TD`` *truy đóng*: a wage for past months (``from_month`` before
         the declaring month), whatever was declared then
adjust   a new wage, higher or lower (DC, CD); the person participates
stop     wage 0 from ``from_month`` on, no ``to_month`` (GH, GC)
pause    wage 0 from ``from_month`` to ``to_month`` (required); the earlier
         row applies again after (KL, OF, TS)
=======  ===============================================================

**The portal's file** (``FileMau-D02LT``, sheet ``DuLieu``): title rows above
the header are skipped (the header is the first row naming every required
column), a two-row header is read as one (``Tháng/ năm`` over ``bắt đầu`` /
``kết thúc``), a row of column numbers under it is skipped, and the columns
sicollect does not use (addresses, health-care place, household, contract,
``Tỷ lệ đóng``, …) are read past and listed once as a warning. Sex is 1/0
(1 = Nam, 0 = Nữ: **verify**), M/F or Nam/Nữ; months ``mm/yyyy``; dates
``dd/mm/yyyy`` or ISO. A coefficient wage (``Hệ số lương``, ``Phụ cấp CV``,
``Phụ cấp TNVK (%)``, ``Phụ cấp TN nghề (%)``) is not computed here: such a
line needs its wage in đồng (``Mức lương``).

The contribution wage is ``wage + allowances + supplements`` (``Mức lương`` +
``Phụ cấp lương`` + ``Các khoản bổ sung``). A line whose months start
before the month the declaration is made in is retroactive: with ``retro`` =
1 its adjustments bear interest from each month's own deadline, otherwise
from the deadline of the declaring month.

Worked example (the foundation's, ``tests/contributions/test_calculator.py``): a unit pays
HI on 10,000,000 from July 2025, 450,000 a month, on time. On 15 Oct 2025 it
declares ``DC`` from 07/2025 at 12,000,000 with ``retro`` = 1. The preview
(the reference calculation before and after, in memory) shows adjustments of
+90,000 for each of Jul, Aug and Sep, October's due 450,000 → 540,000, and
October interest +2,484 (90,000 × 0.03 % × (61 + 31) days); committing and
posting puts exactly those rows in the ledger.

The import is all-or-nothing: every line is checked against the database and
the other lines first, every error is reported as ``file:line: field:
reason``, and a file already imported (same SHA-256) is refused.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from sicollect.contributions.assessment import Row, effective_rows
from sicollect.contributions.calculator import PaymentIn, calculate
from sicollect.contributions.models import Payment
from sicollect.contributions.posting import post_units, row_of, terms_of
from sicollect.core import audit, domain
from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Person, Unit
from sicollect.rules.book import RuleBook, RuleMissing, load_rulebook

from .importing import max_length
from .models import BatchKind, DeclarationLine, ImportBatch
from .registry_import import SEXES
from .rows import ImportError_, ImportErrors
from .tabular import SheetCells, cells_of, read_sheet, sha256_of

ALL_FUNDS = {"si": True, "hi": True, "ui": True, "oadi": True}


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    kind: str  # start | raise | lower | adjust | stop | pause


def _load_actions() -> dict[str, Action]:
    import csv
    from importlib.resources import files

    text = files("sicollect.exchange").joinpath("data/d02lt_actions.csv").read_text(encoding="utf-8")
    return {r["code"]: Action(r["code"], r["label"], r["kind"]) for r in csv.DictReader(text.splitlines())}


#: the portal's action codes (data/d02lt_actions.csv)
ACTIONS: dict[str, Action] = _load_actions()
_PAID = ("start", "retro", "adjust")  # kinds that carry a wage
REQUIRED = ("si_code", "action", "from_month")
OPTIONAL = (
    "stt", "unit_code", "full_name", "national_id", "birth_date", "sex", "job", "contract_type",
    "contract_from", "contract_to", "wage", "allowances", "supplements", "to_month", "funds", "retro", "note",
    "coefficient", "coef_position", "coef_seniority", "coef_occupation",
)
#: read but not computed with: a line that has one of them needs its wage in đồng
COEFFICIENTS = ("coefficient", "coef_position", "coef_seniority", "coef_occupation")
#: Vietnamese headers as D02-LT software exports them (folded: no diacritics, ``_`` for spaces)
ALIASES: dict[str, str] = {
    "ma_so_bhxh": "si_code", "so_bhxh": "si_code", "ma_bhxh": "si_code", "so_so_bhxh": "si_code",
    "ho_ten": "full_name", "ho_va_ten": "full_name", "name": "full_name",
    "so_cccd": "national_id", "cccd": "national_id", "so_dinh_danh": "national_id", "cmnd": "national_id",
    "ngay_sinh": "birth_date", "gioi_tinh": "sex", "chuc_vu": "job", "chuc_danh": "job", "nghe_nghiep": "job",
    "loai_hop_dong": "contract_type", "hop_dong_tu": "contract_from", "hop_dong_den": "contract_to",
    "muc_luong": "wage", "tien_luong": "wage", "luong": "wage", "phu_cap": "allowances",
    "phuong_an": "action", "ma_phuong_an": "action", "tu_thang": "from_month", "den_thang": "to_month",
    "quy": "funds", "tham_gia": "funds", "truy_thu_lai": "retro", "tinh_lai": "retro",
    "retro_interest": "retro", "ma_don_vi": "unit_code", "ghi_chu": "note", "so_thu_tu": "stt",
    # the VSS portal's D02-LT template (FileMau-D02LT) and the tools that fill it
    "ho_va_ten_(*)": "full_name", "ma_so_bhxh_(*)": "si_code", "ma_so_bao_hiem_xa_hoi": "si_code",
    "so_cmnd_cccd_ho_chieu": "national_id", "so_cmnd_cccd": "national_id", "so_cccd_cmnd_ho_chieu": "national_id",
    "so_cmnd": "national_id", "so_dinh_danh_ca_nhan": "national_id",
    "ngay_thang_nam_sinh": "birth_date", "chuc_vu_chuc_danh_nghe_noi_lam_viec": "job",
    "cap_bac_chuc_vu_chuc_danh_nghe_dieu_kien_noi_lam_viec": "job", "chuc_vu_chuc_danh": "job",
    "muc_tien_luong": "wage", "tien_luong_muc_luong": "wage", "muc_luong_dong": "wage",
    "phu_cap_luong": "allowances", "cac_khoan_bo_sung": "supplements", "khoan_bo_sung": "supplements",
    "he_so_luong": "coefficient", "he_so": "coefficient", "phu_cap_cv": "coef_position",
    "phu_cap_chuc_vu": "coef_position", "phu_cap_tnvk_(%)": "coef_seniority", "phu_cap_tnvk": "coef_seniority",
    "phu_cap_tn_nghe_(%)": "coef_occupation", "phu_cap_tn_nghe": "coef_occupation",
    "thang_nam_bat_dau": "from_month", "tu_thang_nam": "from_month", "thang_nam_bat_dau_(*)": "from_month",
    "thang_nam_ket_thuc": "to_month", "den_thang_nam": "to_month",
    "phuong_an_(*)": "action", "loai_hdld": "contract_type", "loai_hop_dong_lao_dong": "contract_type",
}
#: sex as the portal and its tools write it (1/0: **verify** which is which against the template)
SEX_CODES: dict[str, str] = {**SEXES, "1": "M", "0": "F", "nam": "M", "nu": "F"}
#: the sheet's title rows above the header: how far down the header is looked for
TITLE_ROWS = 12
RETRO: dict[str, bool] = {
    "": False, "0": False, "1": True, "x": True, "có": True, "co": True, "không": False, "khong": False,
    "yes": True, "no": False, "true": True, "false": False,
}
#: how far ahead a declaration may reach (new hires of next month are common; a year is a typo)
MAX_MONTHS_AHEAD = 12


@dataclass(frozen=True)
class NewPerson:
    si_code: str
    full_name: str
    sex: str
    national_id: str
    birth_date: date | None


@dataclass(frozen=True)
class DeclaredRow:
    """A checked line: the participation row it will become."""

    line: int
    action: str
    si_code: str
    person_id: int | None  # None: a person this file registers
    from_month: Month
    to_month: Month | None
    wage: int
    funds: dict[str, bool]
    retro_interest: bool

    @property
    def person_key(self) -> object:
        return self.person_id if self.person_id is not None else ("new", self.si_code)

    def as_row(self, declared_on: date, seq: int) -> Row:
        flags = frozenset(f for f, on in self.funds.items() if on)
        return Row(self.person_key, self.from_month, self.to_month, self.wage, flags, declared_on,
                   self.retro_interest, seq)


@dataclass
class Declaration:
    """A checked declaration file, ready to preview or commit."""

    path: Path
    unit: Unit
    declared_on: date
    sha256: str
    rows: list[DeclaredRow] = field(default_factory=list)
    new_persons: dict[str, NewPerson] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return self.path.name


# --------------------------------------------------------------------------- reading and checking


def read_declaration(path: Path, unit: Unit, declared_on: date, book: RuleBook | None = None) -> Declaration:
    """Read and check ``path``; raise :class:`ImportErrors` with every problem, or return it checked."""
    path = Path(path)
    errors: list[ImportError_] = []
    digest = sha256_of(path)
    done = ImportBatch.objects.filter(kind=BatchKind.DECLARATION, sha256=digest).first()
    if done is not None:
        raise ImportErrors([ImportError_(
            path.name, 1, "file",
            f"already imported as batch #{done.pk} ({done.file_name}, {done.created_at:%Y-%m-%d %H:%M}); "
            "nothing was imported again",
        )])
    try:
        domain.money_date(declared_on)  # core.domain: within the rules, not far in the future
    except domain.DomainError as exc:
        raise ImportErrors([ImportError_(path.name, 1, "declared_on", str(exc))]) from None
    ignored: list[str] = []
    table = read_sheet(path, REQUIRED, OPTIONAL, ALIASES, errors, ignore=True, ignored=ignored,
                       title_rows=TITLE_ROWS, header_rows=0)
    decl = Declaration(path, unit, declared_on, digest)
    if ignored:
        decl.warnings.append(f"{path.name}: {len(ignored)} column(s) not used by sicollect: {', '.join(ignored)}")
    _Checker(decl, book or load_rulebook(), errors).check(cells_of(table, errors))
    if errors:
        raise ImportErrors(sorted(errors, key=lambda e: (e.line, e.field)), decl.warnings)
    return decl


class _Checker:
    def __init__(self, decl: Declaration, book: RuleBook, errors: list[ImportError_]) -> None:
        self.decl = decl
        self.book = book
        self.errors = errors
        self.declaring = Month.of(decl.declared_on)

    def check(self, lines: list[SheetCells]) -> None:
        unit = self.decl.unit
        si_codes = {c.raw("si_code") for c in lines}
        persons = {
            si: (pk, name)
            for pk, si, name in Person.objects.filter(si_code__in=si_codes).values_list("pk", "si_code", "full_name")
        }
        ids = [pk for pk, _ in persons.values()]
        existing = [row_of(p) for p in Participation.objects.filter(unit=unit, person_id__in=ids)]
        by_person: dict[object, list[Row]] = defaultdict(list)
        for r in existing:
            by_person[r.person].append(r)
        taken = {
            (r.person, r.from_month) for r in existing if r.declared_on == self.decl.declared_on
        }
        first: dict[tuple[str, Month], int] = {}
        for c in lines:
            self.check_line(c, persons, by_person, taken, first)

    def check_line(self, c: SheetCells, persons: dict[str, tuple[int, str]], by_person: dict[object, list[Row]],
                   taken: set[tuple[object, Month]], first: dict[tuple[str, Month], int]) -> None:
        decl = self.decl
        unit_code = c.raw("unit_code")
        if unit_code and unit_code != decl.unit.code:
            c.error("unit_code", f"this file is imported for unit {decl.unit.code}, the line names {unit_code!r}")
        si_code = c.text("si_code", max_length(Person, "si_code"))
        code = c.raw("action").split("-", 1)[0].strip().upper()  # the portal writes "TM-Tăng mới"
        action = ACTIONS.get(code)
        if action is None:
            c.error("action", f"must be one of {', '.join(ACTIONS)}, got {c.raw('action')!r}")
        from_month = c.within("from_month", c.month("from_month"), domain.month)  # core.domain
        to_month = c.within("to_month", c.month("to_month", required=False),
                            lambda v, b: domain.month(v, b, end=True))
        if from_month and to_month and to_month < from_month:
            c.error("to_month", f"{to_month} is before from_month {from_month}")
        if from_month and from_month > self.declaring + MAX_MONTHS_AHEAD:
            c.error("from_month", f"{from_month} is more than {MAX_MONTHS_AHEAD} months after the declaration "
                                  f"({decl.declared_on.isoformat()})")
        if from_month:
            try:
                self.book.floor(decl.unit.region, from_month)
                self.book.deadline(decl.unit.payment_cycle, from_month)
            except RuleMissing as exc:
                c.error("from_month", f"no contribution rules in force for {from_month}: {exc}")
        wage = self.wage(c, action)
        funds = c.funds("funds") if c.raw("funds") else dict(ALL_FUNDS)
        retro = c.choice("retro", RETRO, ("1", "0", "x", "có", "không"))
        if action and action.kind == "retro" and from_month and from_month >= self.declaring:
            c.error("from_month", f"{action.code} ({action.label}) is for months before the declaring month "
                                  f"{self.declaring}, got {from_month}")
        if action and action.kind == "pause" and from_month and to_month is None:
            c.error("to_month", f"required for {action.code} ({action.label}): the months of the leave")
        if action and action.kind == "stop" and to_month is not None:
            c.error("to_month", f"must be empty for {action.code} ({action.label}): the person leaves from "
                                "from_month on")
        if si_code and from_month:
            c.unique("si_code+from_month", (si_code, from_month), first, f"line for {si_code} from {from_month}")
        person = persons.get(si_code)
        new_person = None
        if person is None and si_code:
            if action and action.kind in ("start", "retro"):
                new_person = self.new_person(c, si_code)
            elif action:
                starts = ", ".join(a for a, x in ACTIONS.items() if x.kind in ("start", "retro"))
                c.error("si_code", f"unknown person {si_code!r}: only {starts} lines may register a new person")
        if not c.ok or action is None or from_month is None or wage is None or funds is None or retro is None:
            return
        person_id = person[0] if person else None
        if person_id is not None:
            history = by_person.get(person_id, [])
            # what was in force before today's declarations (a clash with one of today's is its own error)
            current = effective_rows(history, from_month, decl.declared_on - timedelta(days=1)).get(person_id)
            current_wage = current.wage if current else 0
            self.check_against_history(c, action, from_month, wage, current_wage)
            if (person_id, from_month) in taken:
                c.error("from_month", f"{si_code} already has a declaration from {from_month} made on "
                                      f"{decl.declared_on.isoformat()}; declare the change on another day or fix "
                                      "that one")
        if not c.ok:
            return
        if new_person is not None:
            if si_code in decl.new_persons and decl.new_persons[si_code] != new_person:
                c.error("full_name", f"{si_code} is registered twice in this file with different details")
                return
            decl.new_persons[si_code] = new_person
        if retro and from_month >= self.declaring:
            decl.warnings.append(f"{decl.file_name}:{c.line}: retro: ignored, {from_month} is not before the "
                                 f"declaring month {self.declaring}")
        decl.rows.append(DeclaredRow(
            c.line, action.code, si_code, person_id, from_month, to_month, wage, funds,
            retro_interest=bool(retro) and from_month < self.declaring,
        ))

    def wage(self, c: SheetCells, action: Action | None) -> int | None:
        base = c.money("wage", required=False, maximum=domain.MAX_WAGE)  # core.domain
        allowances = c.money("allowances", required=False, maximum=domain.MAX_WAGE)
        supplements = c.money("supplements", required=False, maximum=domain.MAX_WAGE)
        if base is None or allowances is None or supplements is None:
            return None
        coefficients = [n for n in COEFFICIENTS if c.raw(n).replace("0", "").replace(",", "").replace(".", "")]
        if coefficients and not base:
            c.error("wage", f"a coefficient wage ({', '.join(coefficients)}) is not computed by sicollect: write "
                            "the wage in đồng (Mức lương)")
            return None
        total = base + allowances + supplements
        if action is None:
            return total
        if action.kind in _PAID and total <= 0:
            c.error("wage", f"required for {action.code} ({action.label}): a positive wage")
            return None
        if action.kind in ("stop", "pause") and total:
            c.error("wage", f"must be empty or 0 for {action.code} ({action.label}), got {format_vnd(total)}")
            return None
        return total

    def check_against_history(self, c: SheetCells, action: Action, month: Month, wage: int, current: int) -> None:
        unit = self.decl.unit.code
        if action.kind == "start" and current > 0:
            c.error("action", f"{action.code}: already participating in {unit} in {month} at "
                              f"{format_vnd(current)}; declare DC (Điều chỉnh lương) instead")
        elif action.kind in ("adjust", "stop", "pause") and current == 0:
            c.error("action", f"{action.code}: not participating in {unit} in {month}; declare TM first")

    def new_person(self, c: SheetCells, si_code: str) -> NewPerson | None:
        c.within("si_code", si_code, lambda v, _b: domain.si_code(v))  # core.domain: 10 digits
        name = c.raw("full_name")
        if not name:
            c.error("full_name", f"required to register the new person {si_code}")
        else:
            name = c.text("full_name", max_length(Person, "full_name"))  # NFC, no control characters
        sex = c.choice("sex", SEX_CODES, ("1", "0", "M", "F", "Nam", "Nữ")) if c.raw("sex") else None
        if not c.raw("sex"):
            c.error("sex", f"required to register the new person {si_code}")
        national_id = c.text("national_id", max_length(Person, "national_id"), required=False)
        c.within("national_id", national_id or None, lambda v, _b: domain.national_id(v))
        _iso_date(c, "birth_date")
        birth_date = c.within("birth_date", c.date("birth_date", required=False), domain.birth_date)
        if not c.ok or sex is None:
            return None
        return NewPerson(si_code, name, sex, national_id, birth_date)


def _iso_date(c: SheetCells, name: str) -> None:
    """``dd/mm/yyyy`` (the portal's) → ISO, in place, for :meth:`SheetCells.date`."""
    raw = c.raw(name)
    parts = raw.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        c.cells[c.index[name]] = f"{int(parts[2]):04d}-{int(parts[1]):02d}-{int(parts[0]):02d}"


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class Effect:
    """One figure the declaration changes: a due, adjustment or interest charge of one fund."""

    kind: str
    period: Month  # the statement month it is posted in
    month: Month | None  # the contribution month (interest: the charge month)
    fund: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class Preview:
    unit: Unit
    declared_on: date
    through: Month
    effects: list[Effect]
    closing_before: dict[str, tuple[int, int]]  # fund → (principal, interest) at ``through``
    closing_after: dict[str, tuple[int, int]]

    def total(self, kind: str | None = None) -> int:
        return sum(e.change for e in self.effects if kind is None or e.kind == kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code,
            "declared_on": self.declared_on.isoformat(),
            "through": str(self.through),
            "effects": [
                {"kind": e.kind, "period": str(e.period), "month": str(e.month) if e.month else None,
                 "fund": e.fund, "before": e.before, "after": e.after, "change": e.change}
                for e in self.effects
            ],
            "closing": {
                fund: {"principal_before": self.closing_before[fund][0], "principal_after": self.closing_after[fund][0],
                       "interest_before": self.closing_before[fund][1], "interest_after": self.closing_after[fund][1]}
                for fund in self.closing_after
            },
        }


_SHOWN = ("due", "adjustment", "interest")


def _figures(entries: Iterable[Any]) -> dict[tuple[str, Month, Month | None, str], int]:
    out: dict[tuple[str, Month, Month | None, str], int] = defaultdict(int)
    for e in entries:
        if e.kind in _SHOWN:
            out[(e.kind, e.period, e.month, e.fund)] += e.amount
    return out


def preview(decl: Declaration, through: Month | None = None, book: RuleBook | None = None) -> Preview:
    """The unit's account through ``through`` (default: the declaring month) without and with the file.

    Both runs are the reference :func:`calculate` in memory: nothing is written.
    """
    book = book or load_rulebook()
    unit = decl.unit
    through = through or Month.of(decl.declared_on)
    latest = max((r.to_month or r.from_month for r in decl.rows), default=through)
    through = max(through, min(latest, Month.of(decl.declared_on) + MAX_MONTHS_AHEAD))
    rows = [row_of(p) for p in Participation.objects.filter(unit=unit)]
    top = max((r.seq for r in rows), default=0)
    new = [r.as_row(decl.declared_on, top + i + 1) for i, r in enumerate(decl.rows)]
    pays = [PaymentIn(p.pk, p.paid_on, p.amount) for p in Payment.objects.filter(unit=unit)]
    terms = terms_of(unit)
    first = _first(rows + new, pays)
    before = calculate(terms, rows, pays, book, through, first=first)
    after = calculate(terms, rows + new, pays, book, through, first=first)
    a, b = _figures(before.entries), _figures(after.entries)
    effects = [
        Effect(kind, period, month, fund, a.get(key, 0), b.get(key, 0))
        for key in sorted(a.keys() | b.keys(), key=_order)
        if a.get(key, 0) != b.get(key, 0)
        for kind, period, month, fund in [key]
    ]
    return Preview(unit, decl.declared_on, through, effects, _closing(before, through), _closing(after, through))


def _first(rows: list[Row], pays: list[PaymentIn]) -> Month | None:
    starts = [r.from_month for r in rows] + [Month.of(p.paid_on) for p in pays]
    return min(starts) if starts else None


_KIND_ORDER = {"due": 0, "adjustment": 1, "interest": 2}


def _order(key: tuple[str, Month, Month | None, str]) -> tuple[Any, ...]:
    kind, period, month, fund = key
    return (period, _KIND_ORDER[kind], month or period, fund)


def _closing(account: Any, through: Month) -> dict[str, tuple[int, int]]:
    snapshot = account.balances.get(through, {})
    return {str(f.value): (b.principal, b.interest) for f, b in snapshot.items()}


def render_preview(p: Preview) -> str:
    out = [
        f"Preview: {p.unit.code} {p.unit.name}, declared {p.declared_on.isoformat()}, through {p.through}",
        "",
        f"{'kind':<11} {'posted in':<9} {'month':<7} {'fund':<6} {'before':>14} {'after':>14} {'change':>14}",
    ]
    for e in p.effects:
        out.append(f"{e.kind:<11} {str(e.period):<9} {str(e.month or ''):<7} {e.fund:<6} {format_vnd(e.before):>14} "
                   f"{format_vnd(e.after):>14} {_signed(e.change):>14}")
    if not p.effects:
        out.append("(no change to dues or interest)")
    out.append("")
    out.append(f"dues and adjustments {_signed(p.total('due') + p.total('adjustment'))}, "
               f"interest {_signed(p.total('interest'))}")
    out.append(f"closing {p.through} (principal / interest), before → after:")
    for fund in sorted(p.closing_after):
        b, a = p.closing_before.get(fund, (0, 0)), p.closing_after[fund]
        if b != a or a != (0, 0):
            out.append(f"  {fund:<6} {format_vnd(b[0]):>14} / {format_vnd(b[1]):>10}  →  "
                       f"{format_vnd(a[0]):>14} / {format_vnd(a[1]):>10}")
    return "\n".join(out)


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + format_vnd(amount)


# --------------------------------------------------------------------------- commit


@dataclass
class DeclarationResult:
    batch: ImportBatch
    participations: int
    persons: int
    posted: int = 0


def do_import_declaration(decl: Declaration, actor: str = "", post_through: Month | None = None,
                          source: str = "") -> DeclarationResult:
    """Write a checked declaration: persons, participation rows, the batch and its lines, an audit row.

    With ``post_through`` the unit's ledger is posted through that month in the
    same transaction. A file imported meanwhile by someone else is refused by
    the batch's unique hash (the transaction then writes nothing).
    """
    try:
        with transaction.atomic():
            return _write(decl, actor, post_through, source)
    except IntegrityError as exc:  # imported meanwhile by someone else (the batch's hash, a row's key)
        raise ImportErrors([ImportError_(decl.file_name, 1, "file", f"changed while importing, nothing was "
                                                                     f"written; check and import again ({exc})")]) from exc


def _write(decl: Declaration, actor: str, post_through: Month | None, source: str = "") -> DeclarationResult:
    unit = decl.unit
    batch = ImportBatch.objects.create(
        kind=BatchKind.DECLARATION, sha256=decl.sha256, file_name=decl.file_name[-300:], unit=unit,
        declared_on=decl.declared_on, actor=actor,
        summary={"lines": len(decl.rows), "new_persons": len(decl.new_persons),
                 "actions": _count(r.action for r in decl.rows)},
    )
    created = {
        si: Person.objects.create(si_code=si, full_name=p.full_name, sex=p.sex, national_id=p.national_id,
                                  birth_date=p.birth_date)
        for si, p in decl.new_persons.items()
    }
    for r in decl.rows:
        person_id = r.person_id if r.person_id is not None else created[r.si_code].pk
        participation = Participation.objects.create(
            person_id=person_id, unit=unit, from_month=r.from_month, to_month=r.to_month, wage=r.wage,
            declared_on=decl.declared_on, retro_interest=r.retro_interest, **r.funds,
        )
        DeclarationLine.objects.create(batch=batch, line=r.line, action=r.action, participation=participation)
    audit.record("import_declaration", actor, "unit", unit.code, unit_code=unit.code,
                 batch=batch.pk, file=decl.file_name, sha256=decl.sha256,
                 declared_on=decl.declared_on.isoformat(), lines=len(decl.rows),
                 source=source or f"file {decl.file_name}")
    posted = post_units([unit], post_through).appended if post_through else 0
    return DeclarationResult(batch, len(decl.rows), len(created), posted)


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return dict(out)
