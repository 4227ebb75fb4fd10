"""Real statement files from other projects' test suites (tests/data/real, see SOURCES), read as a new user would.

Each file is copied to VND (``real_files.to_vnd``); the entries expected are
counted in the raw text (``:61:`` lines, ``<Ntry>`` elements), not by the parser.
"""
from __future__ import annotations

import logging
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from sicollect.contributions.models import Payment
from sicollect.core.months import Month
from sicollect.exchange.bank import import_statement
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.models import BankEntry, SuspenseItem
from sicollect.exchange.statements import parse
from sicollect.rules.models import ContributionRate, DeadlineRule, InterestRegime

from .. import factories as f
from .helpers import named_unit
from .real_files import REAL, corpus, expected_count, is_camt, to_vnd

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules_from_2000(db: Any) -> None:
    """The corpus's statements are dated 2007–2015, before the shipped rules begin (2016), and core.domain
    refuses money dates the rules do not cover. The test database's rules are extended back to 2000 with
    copies of their first rows, so that these real files are read for what they are."""
    for model in (ContributionRate, DeadlineRule, InterestRegime):
        first = model.objects.order_by("valid_from").values_list("valid_from", flat=True).first()
        for row in model.objects.filter(valid_from=first):
            row.pk = None
            row.valid_from = Month(2000, 1) if isinstance(first, Month) else first.replace(year=2000, month=1, day=1)
            row.save()


CLEAN_ERROR = re.compile(r"^[^\n:]+:\d+: [^\n]+: [^\n]+$")


def is_statement(path: Path) -> bool:
    """A bank statement: a camt.053 ``Stmt`` or an MT940 message with its ``:20:``. The corpus also holds
    single-tag snippets of the mt-940 package's unit tests (``:61:`` alone, no :20:/:25:): not statements."""
    data = path.read_bytes()
    return b"<Stmt>" in data if is_camt(path) else bool(re.search(rb"(?m)^\s*:20:", data))


def _read_all(tmp_path: Path) -> dict[str, tuple[int, int, list[str]]]:
    out = {}
    for p in corpus():
        parsed = parse(to_vnd(p, tmp_path / str(p.parent.relative_to(REAL))))
        out[str(p.relative_to(REAL))] = (expected_count(p), len(parsed.entries) + parsed.skipped,
                                         [str(e) for e in parsed.errors])
    return out


def test_the_corpus_reads_with_the_right_counts_and_clean_refusals(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    results = _read_all(tmp_path)
    assert not [r for r in caplog.records if r.name.startswith("mt940")]  # the library's regex dumps stay quiet
    assert len(results) >= 70
    with_entries = {k: v for k, v in results.items() if v[0] and is_statement(REAL / k)}
    right = sorted(k for k, (want, got, errs) in with_entries.items() if want == got and not errs)
    wrong = sorted(set(with_entries) - set(right))
    assert len(with_entries) >= 45
    assert len(right) / len(with_entries) >= 0.95, wrong
    # the one statement refused: a second :25: where the :86: belongs (the mt-940 package reads it as one entry)
    assert wrong == ["mt940/betterplace/sepa_snippet_broken.sta"]
    assert results[wrong[0]][2] == ["sepa_snippet_broken.sta:6: :25:: a second account in one statement (the first "
                                    "is on line 2): the file is malformed"]
    for name, (_, _, errors) in results.items():  # every refusal: file:line: field: reason, no regex, no dump
        assert all(CLEAN_ERROR.match(e) and "(?P<" not in e for e in errors), (name, errors)
    # statements without entries (quiet days, the no-Ntry camt file) are 0 entries, not an error
    for name in ("oca/16.0/account_statement_import_camt/test_files/test-camt053-no-ntry",
                 "mt940/self-provided/long_statement_number.sta", "mt940/cmxl/reference.sta"):
        assert results[name] == (0, 0, []), name
    # worked figures: the ING file whose :28C: and :61: wrap lines, the ISO-8859-2 Raiffeisen file, SNS's 0 entry
    assert results["oca/10.0/account_bank_statement_import_mt940_base/test_files/test-ing.940"] == (8, 8, [])
    assert results["mt940/self-provided/raiffeisen-cmi.sta"] == (7, 7, [])
    assert results["oca/10.0/account_bank_statement_import_mt940_base/test_files/test-sns.940"] == (8, 8, [])


@pytest.mark.django_db
def test_the_corpus_imports_once_and_a_reimport_adds_nothing(tmp_path: Path) -> None:
    """Each statement on its own (the genkgo files reuse one statement id with other amounts): every entry is
    recorded, once; the same file again adds 0 rows."""
    files = [p for p in corpus() if is_statement(p) and p.name != "sepa_snippet_broken.sta"]
    total = 0
    for p in files:
        q = to_vnd(p, tmp_path / str(p.parent.relative_to(REAL)))
        with transaction.atomic():
            report = import_statement(q, post=False)
            assert BankEntry.objects.count() == report.entries == len(parse(q).entries), p
            again = import_statement(q, post=False)
            assert (again.already, again.entries, again.batch) == (report.entries, report.entries, None), p
            assert BankEntry.objects.count() == report.entries
            total += report.entries
            transaction.set_rollback(True)
    # every :61: / <Ntry> of the statements, less SNS's entry of 0 (skipped with a warning: nothing to book)
    assert total == sum(expected_count(p) for p in files) - 1 == 276


def _vnd(tmp_path: Path, rel: str) -> Path:
    return to_vnd(REAL / rel, tmp_path)


@pytest.mark.django_db
def test_two_days_of_rabobank_with_statement_number_0_import_one_after_the_other(tmp_path: Path) -> None:
    text = _vnd(tmp_path, "mt940/jejik/rabobank-iban.sta").read_text(encoding="latin-1")
    second = text.index(":20:", text.index(":20:") + 1)
    assert text.count(":28C:0\n") == 2
    day1, day2 = tmp_path / "rabo-2013-01-01.sta", tmp_path / "rabo-2013-01-08.sta"
    day1.write_text(text[:second], encoding="latin-1")
    day2.write_text(text[second:], encoding="latin-1")
    assert import_statement(day1, post=False).entries == 2
    report = import_statement(day2, post=False)
    assert (report.entries, report.already, report.duplicates) == (2, 0, 0)
    assert sorted({e.statement_id for e in BankEntry.objects.all()}) == [
        "NL71RABO0123456789/0/2013-01-01", "NL71RABO0123456789/0/2013-01-08"]
    # both days in one file, again: nothing new
    both = tmp_path / "rabo.sta"
    both.write_text(text, encoding="latin-1")
    assert import_statement(both, post=False).already == 4
    assert BankEntry.objects.count() == 4


@pytest.mark.django_db
def test_postfinance_with_nonref_bank_references_imports_whole(tmp_path: Path) -> None:
    path = _vnd(tmp_path, "mt940/jejik/postfinance.sta")
    report = import_statement(path, post=False)
    assert (report.entries, report.suspense) == (4, 4)
    entries = list(BankEntry.objects.order_by("booked_on", "id"))
    assert [e.amount for e in entries] == [7970, 14950, 7990, 1010]  # 79.7, 149.5, 79.9, 10.1 CHF × 100
    assert len({(e.statement_id, e.entry_id) for e in entries}) == 4
    assert not any("NONREF" in e.entry_id for e in entries)
    assert import_statement(path, post=False).already == 4


@pytest.mark.django_db
def test_a_unit_code_in_structured_86_camt_addtltxinf_and_strd_is_matched(tmp_path: Path) -> None:
    for code in ("TQN00012", "TQN00013", "TQN00014"):
        u = named_unit(code, f"Công ty {code}")
        f.participation(u, f.person(), "2007-01", None, 10_000_000, "HI")
    # MT940, German SEPA :86: — the code in ?20 (the purpose lines ?20–?29 are read, joined)
    sta = _vnd(tmp_path / "a", "mt940/betterplace/sepa_snippet.sta")
    text = sta.read_text(encoding="latin-1")
    assert "?20EREF+EndToEndId TFNR 22 004" in text
    sta.write_text(text.replace("?20EREF+EndToEndId TFNR 22 004", "?20BHXH TQN00012 T09/2007", 1), encoding="latin-1")
    report = import_statement(sta, post=False)
    assert report.units == {"TQN00012"}
    first = BankEntry.objects.get(unit__code="TQN00012")
    assert (first.amount, first.matched_by, first.counterparty_name) == (5099005, "message", "KARL        KAUFMANN")
    assert first.message.startswith("BHXH TQN00012 T09/2007 00001SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004")
    # camt.053: the code in TxDtls/AddtlTxInf (there is no Ustrd in that entry)
    camt = _vnd(tmp_path / "b", "oca/16.0/account_statement_import_camt/test_files/test-camt053")
    xml = camt.read_text(encoding="utf-8")
    camt.write_text(xml.replace("#RD PARTY MEDIA CUSNO 90782", "#RD PARTY MEDIA CUSNO TQN00013"), encoding="utf-8")
    assert import_statement(camt, post=False).units == {"TQN00013"}
    assert BankEntry.objects.get(unit__code="TQN00013").amount == 140531
    # camt.053: the code as the creditor reference in RmtInf/Strd/CdtrRefInf/Ref
    strd = _vnd(tmp_path / "c", "genkgo/camt053.v2.minimal.xml")
    xml = strd.read_text(encoding="utf-8")
    strd.write_text(xml.replace("<Ref>4654654654654654</Ref>", "<Ref>TQN00014</Ref>"), encoding="utf-8")
    assert import_statement(strd, post=False).units == {"TQN00014"}
    assert Payment.objects.get(unit__code="TQN00014").amount == 885


@pytest.mark.django_db
def test_the_same_entry_from_mt940_and_camt_goes_to_suspense_as_a_likely_duplicate(tmp_path: Path) -> None:
    from .helpers import camt053, mt940

    u = named_unit("TQN00012", "Công ty TNHH Xây dựng Hạ Long")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    sta = tmp_path / "day.sta"
    sta.write_text(mt940("S1", "1234567890123", "00101", [
        {"date": "250820", "mark": "C", "amount": 450000, "ref": "NONREF", "bank_ref": "FT25232001",
         "message": "BHXH TQN00012 T07/2025"}]), encoding="utf-8")
    assert import_statement(sta, post=False).matched == 1
    xml = tmp_path / "day.xml"
    xml.write_text(camt053("CAMT-2025-08-20", "1234567890123", [
        {"ref": "FT25232001", "amount": 450000, "booked": "2025-08-20", "message": "BHXH TQN00012 T07/2025"}]),
        encoding="utf-8")
    report = import_statement(xml, post=False)
    assert (report.matched, report.suspense, report.duplicates) == (0, 1, 1)
    assert Payment.objects.count() == 1
    (item,) = SuspenseItem.objects.all()
    assert item.reason.startswith("likely duplicate of entry 1234567890123/00101/2025-08-01/FT25232001")
    assert item.candidates == [{"unit": "TQN00012", "score": 100, "via": "duplicate"}]


@pytest.mark.django_db
def test_a_statement_for_another_account_is_refused_whole(tmp_path: Path) -> None:
    from .helpers import mt940

    office = f.office()
    office.bank_account = "0011-0000-99999"
    office.save()
    sta = tmp_path / "other.sta"
    sta.write_text(mt940("S1", "1234567890123", "00101", [
        {"date": "250820", "mark": "C", "amount": 450000, "bank_ref": "FT1", "message": "x"}]), encoding="utf-8")
    with pytest.raises(ImportErrors) as exc:
        import_statement(sta, post=False)
    assert [str(e) for e in exc.value.errors] == [
        "other.sta:5: account: 1234567890123 is not one of the office's collection accounts (0011000099999): the "
        "statement is refused whole"]
    assert BankEntry.objects.count() == 0
    ours = tmp_path / "ours.sta"
    ours.write_text(mt940("S1", "VCB/0011000099999", "00101", [
        {"date": "250820", "mark": "C", "amount": 450000, "bank_ref": "FT1", "message": "x"}]), encoding="utf-8")
    assert import_statement(ours, post=False).entries == 1


@pytest.mark.django_db
def test_an_empty_statement_is_0_entries_on_the_cli(tmp_path: Path) -> None:
    from django.core.management import call_command

    out = StringIO()
    path = _vnd(tmp_path, "oca/16.0/account_statement_import_camt/test_files/test-camt053-no-ntry")
    call_command("bankstatement", str(path), stdout=out)
    assert out.getvalue().strip() == "test-camt053-no-ntry: camt053: 0 entries (an empty statement): nothing to record"


@pytest.mark.django_db
def test_camt_entries_without_references_keep_their_ids_when_the_bank_inserts_one(tmp_path: Path) -> None:
    """The OCA file without NtryRef/AcctSvcrRef: ids from the end-to-end id or the content, not the position."""
    xml = _vnd(tmp_path / "a", "oca/16.0/account_statement_import_camt/test_files/test-camt053").read_text("utf-8")
    xml = re.sub(r"<(NtryRef|AcctSvcrRef)>[^<]*</\1>", "", xml)
    first = tmp_path / "day.xml"
    first.write_text(xml, encoding="utf-8")
    ids = [e.entry_id for e in parse(first).entries]
    assert len(ids) == 3 and not any(i.startswith("#") for i in ids)
    assert import_statement(first, post=False).entries == 3
    start = xml.index("<Ntry>")
    block = xml[start:xml.index("</Ntry>") + len("</Ntry>")]
    inserted = block.replace('Ccy="VND">75425<', 'Ccy="VND">12345<', 1).replace(
        "435005714488-ABNO33052620", "435005714488-ABNO33052699")  # another transfer, booked first
    assert inserted != block
    resent = tmp_path / "day-resent.xml"
    resent.write_text(xml[:start] + inserted + xml[start:], encoding="utf-8")
    report = import_statement(resent, post=False)
    assert (report.entries, report.already) == (4, 3)
    assert BankEntry.objects.count() == 4


@pytest.mark.django_db
def test_an_mt940_the_library_cannot_read_is_one_clean_line_and_exit_2(tmp_path: Path) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "bad.sta"
    path.write_text(":20:X\n:25:1234567890123\n:28C:1/1\n:60F:C250101VND0,\n:61:garbage here\n:86:x\n"
                    ":62F:C250101VND0,\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("bankstatement", str(path), stdout=StringIO(), stderr=err)
    assert exc.value.returncode == 2
    assert err.getvalue().splitlines() == ["bad.sta:5: :61:: not a valid Statement field: 'garbage here'"]
    assert BankEntry.objects.count() == 0
