"""Employer declarations (form D02-LT / TK1-TS, RULES.md §6): read, check, preview, commit.

A declaration file is one unit's list of changes, one employee per line, as
CSV or xlsx. Each line becomes one ``registry.Participation`` row, the shape
the calculator reads (see :mod:`sicollect.contributions.assessment`): rows are
declarations, the row declared last wins for a person, unit and month, a wage
of 0 means "not participating", and ``declared_on`` plus ``retro_interest``
turn a row about past months into adjustments of those months.

Action codes (``phương án``) and the row each writes, from ``from_month``:

====  =====================  ===============================================
TM    tăng mới (new)         wage from the line; the person must not be
TC    tăng chuyển đến        participating there that month already
TD    tăng mức đóng          a higher wage than the one in force
GD    giảm mức đóng          a lower wage than the one in force
DC    điều chỉnh (adjust)    any wage or funds: a correction
GH    giảm hẳn (leaves)      wage 0 from ``from_month`` on, no ``to_month``
GC    giảm chuyển đi         the same, moving to another unit
KL    nghỉ không lương       wage 0 from ``from_month`` to ``to_month``
TS    nghỉ thai sản          (required); the earlier row applies again after
OF    nghỉ ốm dài ngày
====  =====================  ===============================================

The contribution wage is ``wage + allowances``. A line whose months start
before the month the declaration is made in is retroactive: with ``retro`` =
1 its adjustments bear interest from each month's own deadline, otherwise
from the deadline of the declaring month.

Worked example (the foundation's, ``tests/test_calculator.py``): a unit pays
HI on 10,000,000 from July 2025, 450,000 a month, on time. On 15 Oct 2025 it
declares ``TD`` from 07/2025 at 12,000,000 with ``retro`` = 1. The preview
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
from sicollect.core import domain
from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.registry.models import Participation, Person, Unit
from sicollect.rules.book import RuleBook, RuleMissing, load_rulebook

from .csv_import import SEXES, ImportError_, ImportErrors, _max
from .models import AuditEvent, BatchKind, DeclarationLine, ImportBatch
from .tabular import Cells, cells_of, read_sheet, sha256_of

ALL_FUNDS = {"si": True, "hi": True, "ui": True, "oadi": True}


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    kind: str  # start | raise | lower | adjust | stop | pause


ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action("TM", "Tăng mới", "start"),
        Action("TC", "Tăng chuyển đến", "start"),
        Action("TD", "Tăng mức đóng", "raise"),
        Action("GD", "Giảm mức đóng", "lower"),
        Action("DC", "Điều chỉnh", "adjust"),
        Action("GH", "Giảm hẳn", "stop"),
        Action("GC", "Giảm chuyển đi", "stop"),
        Action("KL", "Nghỉ không lương", "pause"),
        Action("TS", "Nghỉ thai sản", "pause"),
        Action("OF", "Nghỉ ốm dài ngày", "pause"),
    )
}
_PAID = ("start", "raise", "lower", "adjust")  # kinds that carry a wage

REQUIRED = ("si_code", "action", "from_month")
OPTIONAL = (
    "stt", "unit_code", "full_name", "national_id", "birth_date", "sex", "job", "contract_type",
    "contract_from", "contract_to", "wage", "allowances", "to_month", "funds", "retro", "note",
)
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
}
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
    table = read_sheet(path, REQUIRED, OPTIONAL, ALIASES, errors)
    decl = Declaration(path, unit, declared_on, digest)
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

    def check(self, lines: list[Cells]) -> None:
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

    def check_line(self, c: Cells, persons: dict[str, tuple[int, str]], by_person: dict[object, list[Row]],
                   taken: set[tuple[object, Month]], first: dict[tuple[str, Month], int]) -> None:
        decl = self.decl
        unit_code = c.raw("unit_code")
        if unit_code and unit_code != decl.unit.code:
            c.error("unit_code", f"this file is imported for unit {decl.unit.code}, the line names {unit_code!r}")
        si_code = c.text("si_code", _max(Person, "si_code"))
        code = c.raw("action").upper()
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
            if action and action.kind == "start":
                new_person = self.new_person(c, si_code)
            elif action:
                starts = ", ".join(a for a, x in ACTIONS.items() if x.kind == "start")
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

    def wage(self, c: Cells, action: Action | None) -> int | None:
        base = c.money("wage", required=False, maximum=domain.MAX_WAGE)  # core.domain
        allowances = c.money("allowances", required=False, maximum=domain.MAX_WAGE)
        if base is None or allowances is None:
            return None
        total = base + allowances
        if action is None:
            return total
        if action.kind in _PAID and total <= 0:
            c.error("wage", f"required for {action.code} ({action.label}): a positive wage")
            return None
        if action.kind in ("stop", "pause") and total:
            c.error("wage", f"must be empty or 0 for {action.code} ({action.label}), got {format_vnd(total)}")
            return None
        return total

    def check_against_history(self, c: Cells, action: Action, month: Month, wage: int, current: int) -> None:
        unit = self.decl.unit.code
        if action.kind == "start" and current > 0:
            c.error("action", f"{action.code}: already participating in {unit} in {month} at "
                              f"{format_vnd(current)}; declare TD, GD or DC instead")
        elif action.kind in ("raise", "lower", "stop", "pause") and current == 0:
            c.error("action", f"{action.code}: not participating in {unit} in {month}; declare TM first")
        elif action.kind == "raise" and wage <= current:
            c.error("wage", f"TD must raise the wage: {format_vnd(wage)} is not above the "
                            f"{format_vnd(current)} in force in {month} (use GD or DC)")
        elif action.kind == "lower" and wage >= current:
            c.error("wage", f"GD must lower the wage: {format_vnd(wage)} is not below the "
                            f"{format_vnd(current)} in force in {month} (use TD or DC)")

    def new_person(self, c: Cells, si_code: str) -> NewPerson | None:
        c.within("si_code", si_code, lambda v, _b: domain.si_code(v))  # core.domain: 10 digits
        name = c.raw("full_name")
        if not name:
            c.error("full_name", f"required to register the new person {si_code}")
        else:
            name = c.text("full_name", _max(Person, "full_name"))  # NFC, no control characters
        sex = c.choice("sex", SEXES, ("M", "F", "Nam", "Nữ")) if c.raw("sex") else None
        if not c.raw("sex"):
            c.error("sex", f"required to register the new person {si_code}")
        national_id = c.text("national_id", _max(Person, "national_id"), required=False)
        c.within("national_id", national_id or None, lambda v, _b: domain.national_id(v))
        birth_date = c.within("birth_date", c.date("birth_date", required=False), domain.birth_date)
        if not c.ok or sex is None:
            return None
        return NewPerson(si_code, name, sex, national_id, birth_date)


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
    AuditEvent.objects.create(
        action="import_declaration", actor=actor, object_type="unit", object_id=unit.code, unit_code=unit.code,
        detail={"batch": batch.pk, "file": decl.file_name, "sha256": decl.sha256,
                "declared_on": decl.declared_on.isoformat(), "lines": len(decl.rows),
                "source": source or f"file {decl.file_name}"},
    )
    posted = post_units([unit], post_through).appended if post_through else 0
    return DeclarationResult(batch, len(decl.rows), len(created), posted)


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for i in items:
        out[i] += 1
    return dict(out)
