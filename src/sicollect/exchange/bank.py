"""Bank statements in: match each credit to a unit, record payments, queue the rest.

The rules, in order; the first that names exactly one unit decides:

1. **Transfer message** (VietQR / the ``Ustrd`` or ``:86:`` text): a unit code
   among its words, e.g. ``BHXH TQN00012 T10/2025`` → unit ``TQN00012``
   (period October 2025, kept in the reference). Confidence 100.
2. **Payer account** = ``Unit.bank_account``. Confidence 95.
3. **Tax code** (10 digits, or 10-3 for a branch) in the message = ``Unit.tax_code``. 90.
4. **Payer name** similar to the unit's name (rapidfuzz ``token_set_ratio`` on
   names folded to ASCII capitals without legal-form words such as CÔNG TY,
   TNHH, CỔ PHẦN): at least :data:`NAME_AUTO` and :data:`NAME_MARGIN` points
   ahead of the next unit. Confidence 0.9 × the score.

Two rules naming different units, or a rule naming several, is ambiguous.
A matched credit becomes a ``contributions.Payment`` (channel bank, source =
the file, ``payment_id`` = statement id + entry id, paid on the value date, or
the booking date) and the unit's ledger is posted (allocation in the legal
order). Anything else goes to the **suspense queue**, where an officer assigns
it to a unit (:func:`do_assign_suspense`) or dismisses it.

**Debits** (money out of the SI account) are reversals or refunds of a credit:
the original is found by the bank's reversal reference (camt ``EndToEndId``,
MT940 customer reference), then by the same payer account and amount (the
latest such credit not yet reversed). Found → a :class:`PaymentReversal`; not
found → suspense.

*The ledger and reversals.* ``Payment.amount`` must be positive and the
ledger is append-only, so a reversal is its own record. The reference
calculator (``contributions.calculator.calculate``) does not read reversals
yet: what it needs is a third kind of event besides dues and payments, "money
of payment P taken back on day D", applied by taking the amount first from
the unit's credit and then re-opening, in reverse legal order, what P paid
(each item with its original ``late_from``, so interest runs again from D);
``posting.post_units`` would load them with the payments, and the C12-TS
would show them as negative payments. Until then :func:`unposted_reversals`
lists every reversal so the ledger can be corrected by hand.

Idempotent: an entry is identified by (statement id, entry id). Importing a
statement again finds its entries and writes nothing; an entry whose amount,
date or direction changed is an error. The entry id is the bank's reference
when it is a real one, else the end-to-end id, else a key of the entry's
content (:func:`.statements.entry_key`); an MT940 statement id is the account,
``:28C:`` and the opening balance's date (Rabobank numbers every statement 0).

**The same money twice.** A fresh entry that repeats one already imported
under another statement id (the same account, booking date, amount and
direction, and the same bank reference or end-to-end id; for a CSV without the
account, also the same text and payer account) — the day's camt.053
after its MT940, or a re-export with a new statement number — is recorded but
goes to the suspense queue as a *likely duplicate* of the first; it never
becomes a second payment. An officer dismisses it (or, if the bank really
booked it twice, assigns it).

**Whose account.** A statement is for one of the office's collection
accounts: the ``bank_account`` of the offices (``registry.Office``). When any
office has one, a statement (or CSV row with an account column) for any other
account is **refused whole** (``file:line: account: reason``, nothing
written): it is another office's or another owner's statement, so none of its
money is ours to book or to queue. With no office account configured the check
is off.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from sicollect.contributions.models import Channel, LedgerEntry, Payment
from sicollect.contributions.posting import post_units
from sicollect.core import audit, domain
from sicollect.core.months import Month
from sicollect.registry.models import Office, Unit

from .models import (
    BankEntry,
    BatchKind,
    Direction,
    EntryState,
    ImportBatch,
    PaymentReversal,
    SuspenseItem,
    SuspenseStatus,
    payment_id_of,
)
from .rows import ImportError_, ImportErrors
from .statements import CREDIT, CsvLayout, StatementEntry, _account, parse
from .tabular import sha256_of

NAME_AUTO = 90  # token_set_ratio at least this …
NAME_MARGIN = 8  # … and this many points above the next unit's
NAME_CANDIDATE = 60  # shown to the officer from this score
_PERIOD_RE = re.compile(r"\bT?(0?[1-9]|1[0-2])[/.\-](20\d\d)\b")
_TAX_RE = re.compile(r"(?<![0-9])([0-9]{10})(?:-([0-9]{3}))?(?![0-9])")
_LEGAL_FORMS = (
    "CONG TY", "CTY", "TNHH", "CO PHAN", "CP", "MTV", "MOT THANH VIEN", "HAI THANH VIEN", "HOP TAC XA", "HTX",
    "DNTN", "DOANH NGHIEP TU NHAN", "CHI NHANH", "TONG CONG TY", "TAP DOAN", "JSC", "CO", "LTD", "CO.,LTD",
)


def ascii_upper(text: str) -> str:
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in text if unicodedata.category(c) != "Mn").upper()


def name_key(name: str) -> str:
    """``Công ty TNHH Xây dựng Hạ Long`` → ``XAY DUNG HA LONG``."""
    words = re.sub(r"[^0-9A-Z]+", " ", ascii_upper(name)).split()
    text = f" {' '.join(words)} "
    for form in sorted(_LEGAL_FORMS, key=len, reverse=True):
        text = text.replace(f" {form} ", " ")
    return " ".join(text.split())


def period_in(message: str) -> Month | None:
    m = _PERIOD_RE.search(ascii_upper(message))
    return Month(int(m.group(2)), int(m.group(1))) if m else None


@dataclass(frozen=True)
class Candidate:
    unit: str
    score: int
    via: str


@dataclass
class Match:
    unit_id: int | None
    via: str = ""
    confidence: int = 0
    reason: str = ""
    candidates: list[Candidate] = field(default_factory=list)


class Matcher:
    """Every unit's code, account, tax code and name key, loaded once for a statement."""

    def __init__(self) -> None:
        self.by_code: dict[str, int] = {}
        self.by_account: dict[str, list[int]] = defaultdict(list)
        self.by_tax: dict[str, list[int]] = defaultdict(list)
        self.names: dict[int, str] = {}
        self.codes: dict[int, str] = {}
        for pk, code, account, tax, name in Unit.objects.values_list("pk", "code", "bank_account", "tax_code", "name"):
            self.by_code[code.upper()] = pk
            self.codes[pk] = code
            if account:
                self.by_account[re.sub(r"[^0-9A-Za-z]", "", account).upper()].append(pk)
            if tax:
                self.by_tax[tax.strip()].append(pk)
            self.names[pk] = name_key(name)

    def match(self, entry: StatementEntry) -> Match:
        words = set(re.split(r"[^0-9A-Z]+", ascii_upper(entry.message)))
        by_message = sorted({self.by_code[w] for w in words if w in self.by_code})
        by_account = sorted(set(self.by_account.get(entry.counterparty_account, []))) if entry.counterparty_account else []
        taxes = {a + (f"-{b}" if b else "") for a, b in _TAX_RE.findall(entry.message)}
        by_tax = sorted({pk for t in taxes for pk in self.by_tax.get(t, [])})
        found = [("message", by_message, 100), ("account", by_account, 95), ("tax_code", by_tax, 90)]
        named = [(via, ids) for via, ids, _ in found if ids]
        candidates = [Candidate(self.codes[pk], score, via) for via, ids, score in found for pk in ids]
        decided = {pk for _, ids in named for pk in ids}
        if len(decided) == 1:
            (pk,) = decided
            via, _, score = next(f for f in found if f[1])
            return Match(pk, via, score, candidates=candidates)
        if len(decided) > 1:
            what = "; ".join(f"{via}: {', '.join(self.codes[pk] for pk in ids)}" for via, ids in named)
            return Match(None, reason=f"ambiguous ({what})", candidates=candidates)
        return self.match_name(entry)

    def match_name(self, entry: StatementEntry) -> Match:
        from rapidfuzz import fuzz, process

        key = name_key(entry.counterparty_name)
        if not key:
            return Match(None, reason="no unit code, known account, tax code or payer name")
        scored = process.extract(key, self.names, scorer=fuzz.token_set_ratio, limit=5, score_cutoff=NAME_CANDIDATE)
        candidates = [Candidate(self.codes[pk], round(score), "name") for _, score, pk in scored]
        if not scored:
            return Match(None, reason=f"no unit named like {entry.counterparty_name!r}")
        best, second = scored[0][1], scored[1][1] if len(scored) > 1 else 0
        if best >= NAME_AUTO and best - second >= NAME_MARGIN:
            return Match(scored[0][2], "name", round(0.9 * best), candidates=candidates)
        return Match(None, reason=f"payer name {entry.counterparty_name!r} is not a clear match "
                                  f"(best {round(best)}, next {round(second)})", candidates=candidates)


# --------------------------------------------------------------------------- import


@dataclass
class BankReport:
    batch: ImportBatch | None
    format: str
    entries: int = 0
    already: int = 0
    matched: int = 0
    suspense: int = 0
    reversals: int = 0
    posted: int = 0
    duplicates: int = 0  # of the suspense ones: likely repeats of an entry already imported
    units: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.entries:
            return f"{self.format}: 0 entries (an empty statement): nothing to record"
        dup = f" ({self.duplicates} likely duplicate(s))" if self.duplicates else ""
        return (f"{self.format}: {self.entries} entries: {self.matched} matched, {self.suspense} to suspense{dup}, "
                f"{self.reversals} reversal(s), {self.already} already imported; {self.posted} ledger row(s) posted")


def collection_accounts() -> set[str]:
    """The office's collection accounts (``Office.bank_account``), as statements write them (digits, letters)."""
    return {_account(a) for a in Office.objects.exclude(bank_account="").values_list("bank_account", flat=True)}


def _foreign_accounts(name: str, entries: list[StatementEntry]) -> list[ImportError_]:
    ours = collection_accounts()
    if not ours:
        return []
    errors: list[ImportError_] = []
    told: set[str] = set()
    for e in entries:
        if not e.account or e.account in told or e.account in ours or any(e.account.endswith(a) for a in ours):
            continue
        told.add(e.account)
        errors.append(ImportError_(name, e.line, "account", f"{e.account} is not one of the office's collection "
                                   f"accounts ({', '.join(sorted(ours))}): the statement is refused whole"))
    return errors


def _duplicate_of(e: StatementEntry) -> BankEntry | None:
    """An entry already imported under another statement id that this one repeats (see the module docstring)."""
    refs = Q()
    if e.bank_reference:
        refs |= Q(entry_id=e.bank_reference)
    if e.reference:
        refs |= Q(reference=e.reference)
    if not refs:
        return None
    same = BankEntry.objects.filter(refs, booked_on=e.booked_on, amount=e.amount, direction=e.direction,
                                    is_reversal=e.is_reversal).exclude(statement_id=e.statement_id)
    if e.account:
        same = same.filter(account=e.account)
    else:  # a CSV export without the account: only the same text from the same payer is the same entry
        same = same.filter(account="", message=e.message, counterparty_account=e.counterparty_account)
    return same.order_by("id").first()


_SAME = ("booked_on", "amount", "direction")


def out_of_domain(name: str, entries: list[StatementEntry]) -> list[ImportError_]:
    """Entries whose amount or dates are outside the input domain (core.domain): a credit dated 2099 would
    post its unit's ledger out to 2099, an amount near 2**63 would overflow the close."""
    bounds = domain.bounds()
    out = []
    for e in entries:
        for fname, check in (("amount", lambda e=e: domain.amount(e.amount)),
                             ("booked_on", lambda e=e: domain.money_date(e.booked_on, bounds)),
                             ("value_on", lambda e=e: e.value_on and domain.money_date(e.value_on, bounds))):
            try:
                check()
            except domain.DomainError as exc:
                out.append(ImportError_(name, e.line, fname, str(exc)))
    return out


def import_statement(path: Path, fmt: str | None = None, layout: CsvLayout | None = None, actor: str = "",
                     post: bool = True, encoding: str | None = None) -> BankReport:
    """Read, check and record a bank statement file, all or nothing.

    Raises :class:`ImportErrors` (writing nothing) when any entry is unreadable,
    the statement is not for one of the office's collection accounts, or an
    entry already imported now reads differently. An empty statement is
    0 entries, not an error.
    """
    path = Path(path)
    parsed = parse(path, fmt, layout, encoding)
    errors = list(parsed.errors) + _foreign_accounts(path.name, parsed.entries)
    keys = {(e.statement_id, e.entry_id) for e in parsed.entries}
    known: dict[tuple[str, str], BankEntry] = {}
    for statement_id in {k[0] for k in keys}:
        for be in BankEntry.objects.filter(statement_id=statement_id):
            known[(be.statement_id, be.entry_id)] = be
    seen: dict[tuple[str, str], int] = {}
    fresh: list[StatementEntry] = []
    for e in parsed.entries:
        key = (e.statement_id, e.entry_id)
        if key in seen:
            errors.append(ImportError_(path.name, e.line, "entry_id",
                                       f"entry {e.statement_id}/{e.entry_id} twice (first on line {seen[key]})"))
            continue
        seen[key] = e.line
        old = known.get(key)
        if old is None:
            fresh.append(e)
            continue
        for name in _SAME:
            if getattr(old, name) != getattr(e, name):
                errors.append(ImportError_(path.name, e.line, name,
                                           f"entry {e.statement_id}/{e.entry_id} was imported with {name} "
                                           f"{getattr(old, name)}, this file has {getattr(e, name)}; "
                                           "an import never changes a bank entry"))
    errors += out_of_domain(path.name, fresh)  # core.domain: before any entry becomes a payment
    if errors:
        raise ImportErrors(sorted(errors, key=lambda x: (x.line, x.field)), parsed.warnings)
    report = BankReport(None, parsed.format, entries=len(parsed.entries), already=len(parsed.entries) - len(fresh),
                        warnings=list(parsed.warnings))
    if not fresh:
        return report
    digest = sha256_of(path)
    matcher = Matcher()
    with transaction.atomic():
        batch, _ = ImportBatch.objects.get_or_create(
            kind=BatchKind.BANK, sha256=digest, defaults={"file_name": path.name[-300:], "actor": actor})
        report.batch = batch
        touched: dict[int, date] = {}
        for e in sorted(fresh, key=lambda x: (x.booked_on, x.line)):
            first = _duplicate_of(e)
            entry = _record(batch, e)
            if first is not None:
                _to_suspense(entry, f"likely duplicate of entry {first.statement_id}/{first.entry_id} (batch "
                                    f"#{first.batch_id}, {first.batch.file_name}): same account, booking date, "
                                    "amount and reference",
                             [Candidate(first.unit.code, 100, "duplicate")] if first.unit else [])
                report.suspense += 1
                report.duplicates += 1
                continue
            if e.direction == CREDIT:
                _credit(entry, e, matcher, path.name, report, touched)
            else:
                _debit(entry, report)
        batch.summary = {"format": parsed.format, "entries": report.entries, "matched": report.matched,
                         "suspense": report.suspense, "reversals": report.reversals, "already": report.already,
                         "duplicates": report.duplicates}
        batch.save(update_fields=["summary"])
        audit.record("import_bank_statement", actor, "import_batch", batch.pk, file=path.name, **batch.summary)
        if post and touched:
            report.posted = _post(touched)
    return report


def _record(batch: ImportBatch, e: StatementEntry) -> BankEntry:
    return BankEntry.objects.create(
        batch=batch, statement_id=e.statement_id, entry_id=e.entry_id, account=e.account, booked_on=e.booked_on,
        value_on=e.value_on, amount=e.amount, direction=e.direction, is_reversal=e.is_reversal,
        message=e.message, reference=e.reference, counterparty_name=e.counterparty_name,
        counterparty_account=e.counterparty_account, state=EntryState.SUSPENSE,
    )


def _credit(entry: BankEntry, e: StatementEntry, matcher: Matcher, source: str, report: BankReport,
            touched: dict[int, date]) -> None:
    if e.is_reversal:  # a debit reversed: money back in that we paid out; nothing of a unit's to allocate
        _to_suspense(entry, "a reversal of a debit (RD): money the office paid out came back", [])
        report.suspense += 1
        return
    m = matcher.match(e)
    if m.unit_id is None:
        _to_suspense(entry, m.reason, m.candidates)
        report.suspense += 1
        return
    taken = _id_taken(entry, m.unit_id)
    if taken:  # the unit's office already has a payment under this id (recorded at the counter, say)
        _to_suspense(entry, taken, [Candidate(matcher.codes[m.unit_id], m.confidence, m.via)])
        report.suspense += 1
        return
    payment = _pay(entry, m.unit_id, source)
    entry.state, entry.unit_id, entry.matched_by, entry.confidence, entry.payment = (
        EntryState.MATCHED, m.unit_id, m.via, m.confidence, payment)
    entry.save(update_fields=["state", "unit", "matched_by", "confidence", "payment"])
    report.matched += 1
    report.units.add(matcher.codes[m.unit_id])
    touched[m.unit_id] = max(touched.get(m.unit_id, payment.paid_on), payment.paid_on)


def _id_taken(entry: BankEntry, unit_id: int) -> str:
    """Why the entry's payment id cannot be the unit's (its office has a payment under it), or ''.

    Payment ids are unique per office: another office's payments are not looked at."""
    payment_id = payment_id_of(entry.statement_id, entry.entry_id)  # (entry.payment_id is the FK's column)
    office_id = Unit.objects.values_list("office_id", flat=True).get(pk=unit_id)
    other = Payment.objects.filter(office_id=office_id, payment_id=payment_id).select_related("unit").first()
    if other is None:
        return ""
    return (f"payment id {payment_id} is already a payment of {other.unit.code} "
            f"({other.paid_on.isoformat()}, {other.amount}) in the same office")


def _pay(entry: BankEntry, unit_id: int, source: str) -> Payment:
    """The entry as a payment of the unit, in the unit's office (payment ids are unique per office)."""
    period = period_in(entry.message)
    reference = entry.message if period is None else f"[{period}] {entry.message}"
    return Payment.objects.create(
        payment_id=payment_id_of(entry.statement_id, entry.entry_id), unit_id=unit_id,
        office_id=Unit.objects.values_list("office_id", flat=True).get(pk=unit_id),
        paid_on=entry.value_on or entry.booked_on, amount=entry.amount, reference=reference[:300],
        channel=Channel.BANK, source=source[-300:],
    )


def _to_suspense(entry: BankEntry, reason: str, candidates: list[Candidate]) -> SuspenseItem:
    return SuspenseItem.objects.create(
        entry=entry, reason=reason[:300],
        candidates=[{"unit": c.unit, "score": c.score, "via": c.via} for c in candidates],
    )


def _debit(entry: BankEntry, report: BankReport) -> None:
    original, why = _original_of(entry)
    if original is None:
        _to_suspense(entry, why, [])
        report.suspense += 1
        return
    _reverse(entry, original, "bank reversal" if entry.is_reversal else "refund")
    report.reversals += 1


def _original_of(entry: BankEntry) -> tuple[Payment | None, str]:
    """The payment a debit takes back, or why it cannot be told."""
    credits = BankEntry.objects.filter(direction=Direction.CREDIT, payment__isnull=False).select_related("payment")
    found: list[BankEntry] = []
    if entry.reference:
        found = list(credits.filter(reference=entry.reference).exclude(pk=entry.pk))
    if not found:
        words = set(re.split(r"[^0-9A-Za-z/]+", entry.message))
        found = [c for c in credits.filter(entry_id__in=words)] if words else []
    if not found and entry.counterparty_account:
        same = credits.filter(counterparty_account=entry.counterparty_account, amount=entry.amount,
                              booked_on__lte=entry.booked_on).order_by("-booked_on", "-id")
        found = [c for c in same if _left_of(c.payment) >= entry.amount][:1]
    found = [c for c in found if c.payment is not None]
    if not found:
        return None, "a debit that reverses no payment we can find (reference, message, account and amount)"
    if len(found) > 1:
        return None, f"a debit matching {len(found)} payments: {', '.join(c.payment.payment_id for c in found)}"
    payment = found[0].payment
    assert payment is not None
    left = _left_of(payment)
    if entry.amount > left:
        return None, (f"a debit of {entry.amount} reverses payment {payment.payment_id}, of which only "
                      f"{left} is left to reverse")
    return payment, ""


def _left_of(payment: Payment) -> int:
    taken = payment.reversals.aggregate(s=Sum("amount"))["s"] or 0
    return payment.amount - taken


def _reverse(entry: BankEntry, payment: Payment, reason: str) -> PaymentReversal:
    reversal = PaymentReversal.objects.create(
        payment=payment, entry=entry, reversed_on=entry.value_on or entry.booked_on, amount=entry.amount,
        reason=reason)
    entry.state, entry.unit_id, entry.matched_by = EntryState.REVERSAL, payment.unit_id, "reversal"
    entry.save(update_fields=["state", "unit", "matched_by"])
    return reversal


def _post(touched: dict[int, date]) -> int:
    """Post the units that received payments through the later of the payment month and their last posted month."""
    posted = 0
    last = dict(LedgerEntry.objects.filter(unit_id__in=touched).values_list("unit_id").annotate(m=Max("period")))
    by_month: dict[Month, list[int]] = defaultdict(list)
    for unit_id, paid_on in touched.items():
        through = Month.of(paid_on)
        if last.get(unit_id):
            through = max(through, Month.of(last[unit_id]) if isinstance(last[unit_id], date) else last[unit_id])
        by_month[through].append(unit_id)
    for through, ids in by_month.items():
        posted += post_units(Unit.objects.filter(pk__in=ids), through).appended
    return posted


# --------------------------------------------------------------------------- the suspense queue (function API)


def suspense_items(status: str | None = SuspenseStatus.OPEN) -> Any:
    """The queue, oldest first, with each entry and its candidates (the web app lists this)."""
    qs = SuspenseItem.objects.select_related("entry", "unit", "payment").order_by("entry__booked_on", "id")
    return qs.filter(status=status) if status else qs


def ranked_candidates(candidates: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], str]:
    """An item's candidates, best first and one line per unit (its best score and every way it was
    found), and the unit to offer: the leader's code when it alone has the top score, else ``""``
    (several units tied: the officer chooses, nothing is chosen for them)."""
    by_unit: dict[str, dict[str, Any]] = {}
    for c in candidates or []:
        code = str(c.get("unit", ""))
        if not code:
            continue
        seen = by_unit.setdefault(code, {"unit": code, "score": int(c.get("score") or 0), "via": []})
        seen["score"] = max(seen["score"], int(c.get("score") or 0))
        if c.get("via") and c["via"] not in seen["via"]:
            seen["via"].append(c["via"])
    ranked = sorted(by_unit.values(), key=lambda c: (-c["score"], c["unit"]))
    top = ranked[0]["score"] if ranked else 0
    for c in ranked:
        c["tied"] = c["score"] == top and sum(1 for o in ranked if o["score"] == top) > 1
    clear = ranked[0]["unit"] if ranked and not ranked[0]["tied"] else ""
    return ranked, clear


class SuspenseError(ValueError):
    """An officer's decision on a suspense item that cannot be carried out (the message says why)."""


def do_assign_suspense(item_id: int, unit_code: str, actor: str, note: str = "", reverses: str = "",
                       post: bool = True) -> SuspenseItem:
    """Settle a suspense item: a credit becomes a payment of ``unit_code`` (and is allocated);
    a debit becomes a reversal of that unit's payment ``reverses`` (its payment id)."""
    with transaction.atomic():
        item = SuspenseItem.objects.select_for_update().select_related("entry").get(pk=item_id)
        if item.status != SuspenseStatus.OPEN:
            raise SuspenseError(f"suspense item #{item.pk} is already {item.status}")
        try:
            unit = Unit.objects.get(code=unit_code)
        except Unit.DoesNotExist:
            raise SuspenseError(f"unknown unit {unit_code!r}") from None
        entry = item.entry
        detail: dict[str, Any] = {"unit": unit.code, "entry": f"{entry.statement_id}/{entry.entry_id}",
                                  "amount": entry.amount, "note": note}
        if entry.direction == Direction.CREDIT:
            if entry.is_reversal:
                raise SuspenseError("a reversed debit is not a unit's payment: dismiss it")
            taken = _id_taken(entry, unit.pk)
            if taken:
                raise SuspenseError(taken)
            payment = _pay(entry, unit.pk, entry.batch.file_name)
            entry.state, entry.unit, entry.matched_by, entry.confidence, entry.payment = (
                EntryState.ASSIGNED, unit, "officer", 100, payment)
            entry.save(update_fields=["state", "unit", "matched_by", "confidence", "payment"])
            item.payment = payment
            detail["payment"] = payment.payment_id
        else:
            try:
                original = Payment.objects.get(payment_id=reverses, unit=unit)
            except Payment.DoesNotExist:
                raise SuspenseError(f"a debit needs the payment it reverses: no payment {reverses!r} of "
                                    f"{unit.code}") from None
            if entry.amount > _left_of(original):
                raise SuspenseError(f"payment {reverses} has only {_left_of(original)} left to reverse")
            _reverse(entry, original, "assigned by an officer")
            detail["reverses"] = original.payment_id
        item.status, item.unit, item.decided_by, item.decided_at, item.note = (
            SuspenseStatus.ASSIGNED, unit, actor, timezone.now(), note[:300])
        item.save()
        audit.record("assign_suspense", actor, "suspense_item", item.pk, unit_code=unit.code, **detail)
        if post and item.payment is not None:
            _post({unit.pk: item.payment.paid_on})
    return item


def do_dismiss_suspense(item_id: int, actor: str, note: str) -> SuspenseItem:
    """Close a suspense item without a payment (money not for SI, returned to the sender, …)."""
    if not note.strip():
        raise SuspenseError("say why the item is dismissed")
    with transaction.atomic():
        item = SuspenseItem.objects.select_for_update().select_related("entry").get(pk=item_id)
        if item.status != SuspenseStatus.OPEN:
            raise SuspenseError(f"suspense item #{item.pk} is already {item.status}")
        item.status, item.decided_by, item.decided_at, item.note = (
            SuspenseStatus.DISMISSED, actor, timezone.now(), note[:300])
        item.save()
        item.entry.state = EntryState.DISMISSED
        item.entry.save(update_fields=["state"])
        audit.record("dismiss_suspense", actor, "suspense_item", item.pk, note=note)
    return item


def unposted_reversals() -> Any:
    """Every payment reversal: the calculator does not read them yet (see the module docstring)."""
    return PaymentReversal.objects.select_related("payment", "payment__unit", "entry").order_by("reversed_on", "id")
