"""D02-LT declarations: check every line, preview the effect, commit all or nothing."""
from __future__ import annotations

import itertools
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sicollect.contributions.models import LedgerEntry
from sicollect.contributions.posting import post_units
from sicollect.contributions.statement import statement
from sicollect.core.months import Month
from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.declarations import (
    do_import_declaration,
    preview,
    read_declaration,
    render_preview,
)
from sicollect.core.models import AuditEvent
from sicollect.exchange.models import DeclarationLine, ImportBatch
from sicollect.registry.models import Participation, Person

from .. import factories as f
from .helpers import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

RAISE_DAY = date(2025, 10, 15)


def paying_unit():
    """HI only, 10,000,000 from Jul 2025 (450,000 a month), paid on the 20th of Jul, Aug, Sep."""
    u = f.unit("TA0001")
    p = f.person("3101000001")
    f.participation(u, p, "2025-07", None, 10_000_000, "HI")
    for m in (7, 8, 9):
        f.payment(u, date(2025, m, 20), 450_000, f"B{m}")
    return u


RAISE_CSV = """
    si_code,full_name,action,from_month,to_month,wage,allowances,funds,retro
    3101000001,Người 1,DC,2025-07,,11000000,1000000,HI,1
"""


def test_a_retroactive_raise_previews_and_posts_as_the_worked_example(tmp_path: Path) -> None:
    """tests/contributions/test_calculator.py's example, through a file: 10,000,000 → 12,000,000 (11,000,000 wage +
    1,000,000 allowances) from July 2025, declared 15 Oct 2025 with interest. Preview: +90,000 for each
    of Jul, Aug, Sep (adjustments posted in October), October's due 450,000 → 540,000, October interest
    +2,484 (90,000 × 0.03 % × (61 + 31) days). Committed and posted, the C12-TS of October shows them."""
    u = paying_unit()
    decl = read_declaration(write_csv(tmp_path / "d02.csv", RAISE_CSV), u, RAISE_DAY)
    p = preview(decl)
    assert [(e.kind, str(e.period), str(e.month), e.fund, e.before, e.after) for e in p.effects] == [
        ("due", "2025-10", "2025-10", "HI", 450_000, 540_000),
        ("adjustment", "2025-10", "2025-07", "HI", 0, 90_000),
        ("adjustment", "2025-10", "2025-08", "HI", 0, 90_000),
        ("adjustment", "2025-10", "2025-09", "HI", 0, 90_000),
        ("interest", "2025-10", "2025-10", "HI", 0, 2_484),
    ]
    assert p.closing_after["HI"] == (810_000, 2_484) and p.closing_before["HI"] == (450_000, 0)
    text = render_preview(p)
    assert "+90.000" in text and "+2.484" in text
    assert Participation.objects.count() == 1 and not ImportBatch.objects.exists()  # a preview writes nothing

    result = do_import_declaration(decl, actor="officer1", post_through=Month(2025, 10))
    assert result.participations == 1 and result.posted > 0
    row = Participation.objects.get(declared_on=RAISE_DAY)
    assert (row.wage, row.retro_interest, row.hi, row.si) == (12_000_000, True, True, False)
    assert DeclarationLine.objects.get().participation == row
    assert AuditEvent.objects.filter(action="import_declaration", object_id="TA0001").count() == 1
    hi = statement(u, Month(2025, 10))["funds"]["HI"]
    assert (hi["assessed"], hi["adjusted"], hi["interest_charged"], hi["closing_principal"]) == (
        540_000, 270_000, 2_484, 810_000)
    adjustments = LedgerEntry.objects.filter(kind="adjustment").order_by("month")
    assert [(str(e.month), e.amount, e.late_from) for e in adjustments] == [
        ("2025-07", 90_000, date(2025, 9, 1)), ("2025-08", 90_000, date(2025, 10, 1)),
        ("2025-09", 90_000, date(2025, 11, 1)),
    ]


def test_without_the_retro_flag_the_raise_is_late_only_from_the_declaring_months_deadline(tmp_path: Path) -> None:
    u = paying_unit()
    path = write_csv(tmp_path / "d02.csv", RAISE_CSV.replace("HI,1", "HI,0"))
    p = preview(read_declaration(path, u, RAISE_DAY))
    assert p.total("adjustment") == 270_000 and p.total("interest") == 0


def test_xlsx_with_vietnamese_headers_and_month_slash_year(tmp_path: Path) -> None:
    """The same raise as an xlsx sheet as D02-LT software writes it, plus a new hire (TM) who is
    registered as a person, and a leave (GH) of another employee from November."""
    u = paying_unit()
    other = f.person("3101000002")
    f.participation(u, other, "2025-07", None, 6_000_000, "SI+HI+UI+OADI")
    path = write_xlsx(tmp_path / "d02.xlsx", [
        ["STT", "Họ và tên", "Mã số BHXH", "Ngày sinh", "Giới tính", "Phương án", "Từ tháng", "Đến tháng",
         "Mức lương", "Phụ cấp", "Quỹ", "Truy thu lãi"],
        [1, "Người 1", "3101000001", None, None, "DC", "07/2025", None, 12_000_000, None, "HI", "x"],
        [2, "Lê Thị Hoa", "3101000099", date(1995, 3, 2), "Nữ", "TM", "11/2025", None, 7_000_000, 500_000, None, None],
        [3, None, "3101000002", None, None, "GH", "11/2025", None, None, None, None, None],
    ])
    decl = read_declaration(path, u, RAISE_DAY)
    assert [(r.action, r.line, r.wage, r.retro_interest) for r in decl.rows] == [
        ("DC", 2, 12_000_000, True), ("TM", 3, 7_500_000, False), ("GH", 4, 0, False)]
    p = preview(decl)
    assert str(p.through) == "2025-11"
    assert p.total("adjustment") == 270_000
    october = [e.change for e in p.effects if e.kind == "interest" and str(e.period) == "2025-10"]
    assert october == [2_484]
    # November: the new hire's dues (7,500,000 on every fund) come in, the leaver's 6,000,000 go
    november = {e.fund: e.change for e in p.effects if e.kind == "due" and str(e.period) == "2025-11"}
    assert november["HI"] == 90_000 + 337_500 - 270_000
    do_import_declaration(decl)
    new = Person.objects.get(si_code="3101000099")
    assert (new.full_name, new.sex, new.birth_date) == ("Lê Thị Hoa", "F", date(1995, 3, 2))
    leave = Participation.objects.get(person=other, declared_on=RAISE_DAY)
    assert (leave.wage, str(leave.from_month), leave.to_month) == (0, "2025-11", None)


def test_every_bad_line_is_reported_with_line_and_field_and_nothing_is_written(tmp_path: Path) -> None:
    u = paying_unit()
    f.person("3101000003")
    path = write_csv(tmp_path / "bad.csv", """
        si_code,full_name,action,from_month,to_month,wage,funds,retro
        3101000001,,DC,2025-07,,0,HI,1
        3101000001,,TM,2025-13,,12000000,HI,
        3101000003,,DC,2025-08,,12000000,HI,
        9999999999,,DC,2025-08,,12000000,HI,
        9999999998,,TM,2025-08,,12000000,HI,
        3101000001,,KL,2025-11,,,,
        3101000001,,GH,2025-12,,5000000,,
        3101000001,,XX,2026-01,,5000000,SI+XYZ,maybe
        3101000001,,DC,2026-02,2026-01,12.000.000,,
        3101000001,,DC,2026-03,,12000000.5,,
        3101000001,,DC,2026-03,,12000000,,
    """)
    with pytest.raises(ImportErrors) as caught:
        read_declaration(path, u, RAISE_DAY)
    got = [(e.line, e.field) for e in caught.value.errors]
    assert got == [
        (2, "wage"),  # DC needs a positive wage
        (3, "from_month"),  # 2025-13
        (4, "action"),  # DC of a person not participating
        (5, "si_code"),  # unknown person on a DC line
        (6, "full_name"), (6, "sex"),  # a TM of a new person needs name and sex
        (7, "to_month"),  # KL needs the months of the leave
        (8, "wage"),  # GH with a wage
        (9, "action"), (9, "funds"), (9, "retro"),
        (10, "to_month"),
        (11, "wage"),
        (12, "si_code+from_month"),  # the same person and month twice
    ]
    assert all(str(e).startswith(f"bad.csv:{e.line}: {e.field}: ") for e in caught.value.errors)
    assert Participation.objects.count() == 1 and not ImportBatch.objects.exists()


def test_header_problems_are_errors_too(tmp_path: Path) -> None:
    """A column sicollect does not use is read past and listed once as a warning; a missing or doubled one
    is an error."""
    u = paying_unit()
    path = write_csv(tmp_path / "h.csv", """
        si_code,action,colour,wage,wage
        3101000001,DC,red,1,1
    """)
    with pytest.raises(ImportErrors) as caught:
        read_declaration(path, u, RAISE_DAY)
    assert [(e.line, e.field, e.reason) for e in caught.value.errors] == [
        (1, "from_month", "missing column"), (1, "wage", "column appears twice"),
    ]
    assert caught.value.warnings == ["h.csv: 1 column(s) not used by sicollect: colour"]


def test_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    u = paying_unit()
    path = write_csv(tmp_path / "d02.csv", RAISE_CSV)
    do_import_declaration(read_declaration(path, u, RAISE_DAY))
    with pytest.raises(ImportErrors) as caught:
        read_declaration(path, u, RAISE_DAY)
    (error,) = caught.value.errors
    assert error.field == "file" and "already imported as batch" in error.reason
    # the same lines in another file, declared the same day, clash on the declaration key
    other = write_csv(tmp_path / "copy.csv", RAISE_CSV + "\n")
    with pytest.raises(ImportErrors) as caught:
        read_declaration(other, u, RAISE_DAY)
    assert [(e.line, e.field) for e in caught.value.errors] == [(2, "from_month")]
    assert Participation.objects.count() == 2


def test_cli_preview_writes_nothing_and_errors_exit_2(tmp_path: Path) -> None:
    u = paying_unit()
    path = write_csv(tmp_path / "d02.csv", RAISE_CSV)
    out = StringIO()
    call_command("declare", str(path), unit=u.code, declared_on="2025-10-15", preview=True, stdout=out)
    assert "adjustment" in out.getvalue() and "+2.484" in out.getvalue()
    assert not ImportBatch.objects.exists()
    call_command("declare", str(path), unit=u.code, declared_on="2025-10-15", post=True, stdout=out)
    assert ImportBatch.objects.count() == 1
    assert statement(u, Month(2025, 10))["funds"]["HI"]["interest_charged"] == 2_484
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("declare", str(path), unit=u.code, declared_on="2025-10-15", stdout=out, stderr=err)
    assert caught.value.returncode == 2 and "d02.csv:1: file: already imported" in err.getvalue()


def test_a_leave_in_a_past_month_returns_the_paid_amount_to_credit(tmp_path: Path) -> None:
    """KL (unpaid leave) for August only, declared 5 Sep: August's 450,000 goes to credit."""
    u = paying_unit()
    post_units([u], Month(2025, 9))
    path = write_csv(tmp_path / "kl.csv", """
        si_code,action,from_month,to_month
        3101000001,KL,08/2025,08/2025
    """)
    p = preview(read_declaration(path, u, date(2025, 9, 5)), Month(2025, 9))
    assert [(e.kind, str(e.month), e.change) for e in p.effects] == [("adjustment", "2025-08", -450_000)]


_EXAMPLES = itertools.count(1)
CELL = st.text(alphabet=st.sampled_from(list("0123456789-/,.TMDGHKLxy ")), max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=5))
def test_any_file_either_imports_whole_or_writes_nothing(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    """Property: whatever the cells, reading never raises anything but ImportErrors, and every
    error names a line of the file and one of its columns (or the row)."""
    u = f.unit(f"PROP{next(_EXAMPLES):05d}")  # examples share the test's transaction
    path = tmp_path / "p.csv"
    lines = ["si_code,action,from_month,wage"] + [",".join(c.replace(",", "") for c in r) for r in rows]
    path.write_text("\n".join(lines), encoding="utf-8")
    before = Participation.objects.count()
    try:
        read_declaration(path, u, RAISE_DAY)
    except ImportErrors as exc:
        assert exc.errors
        for e in exc.errors:
            assert 2 <= e.line <= len(rows) + 1
            assert e.field in {"si_code", "action", "from_month", "wage", "row", "si_code+from_month"}
    assert Participation.objects.count() == before
