"""``sicollect import DIR``: CSV import of the registry, payments and plans."""

from __future__ import annotations

import io
import textwrap
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from sicollect.contributions.models import Payment
from sicollect.core.months import Month
from sicollect.exchange.importing import FileCounts
from sicollect.exchange.registry_import import import_dir
from sicollect.exchange.rows import ImportErrors
from sicollect.core.models import AuditEvent
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Commune, Office, Participation, Person, Unit

pytestmark = pytest.mark.django_db

GOOD = {
    # The grassroots office comes before its province office: forward references are fine.
    "offices.csv": """\
        office_code,name,parent_code
        HN01,BHXH Ba Đình,HN
        HN,BHXH Hà Nội,
        """,
    "communes.csv": """\
        commune_code,name,office_code
        00001,Phường Phúc Xá,HN01
        """,
    "units.csv": """\
        unit_code,name,tax_code,office_code,ownership,status,region,payment_cycle,registered_on
        U1,Công ty A,0101234567,HN01,private,active,II,3-monthly,2020-01-15
        U2,HTX B,,HN,cooperative,dissolution-in-progress,1,1,2019-06-01
        """,
    "persons.csv": """\
        si_code,national_id,full_name,birth_date,sex,commune_code
        0101000001,001090000001,Nguyễn Văn An,1990-05-01,Nam,00001
        0101000002,,Trần Thị Bình,,Nữ,
        """,
    "participations.csv": """\
        si_code,unit_code,from_month,to_month,wage,funds,declared_on,retro_interest
        0101000001,U1,2025-01,,12000000,SI+HI,,
        0101000002,U1,2025-01,2025-06,8000000,SI+HI+UI+OADI,,0
        0101000002,U1,2024-10,2024-12,7000000,SI+HI+UI+OADI,2025-02-10,1
        """,
    "payments.csv": """\
        payment_id,unit_code,paid_on,amount,reference
        VCB-0001,U1,2025-02-28,5000000,"U1 nop BHXH, thang 1"
        VCB-0002,U2,2025-03-01,1200000,
        """,
    # A consistent plan: HN's revenue is its one grassroots office's (plans.targets.check).
    "plans.csv": """\
        year,office_code,indicator,value
        2025,HN01,revenue,900000000000
        2025,HN,si_compulsory,120000
        2025,HN,revenue,900000000000
        """,
}


def write(directory: Path, files: dict[str, str], *, bom: bool = False) -> Path:
    """Write dedented CSV texts into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(
            ("\ufeff" if bom else "") + textwrap.dedent(text), encoding="utf-8"
        )
    return directory


def counts() -> dict[str, int]:
    """Row count of every model, to prove an import wrote nothing."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def run(directory: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(directory), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(directory: Path) -> str:
    """Run the command expecting exit status 2; return what it printed on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import", str(directory), stdout=out, stderr=err)
    assert info.value.returncode == 2
    return err.getvalue()


def test_good_import_creates_expected_rows(tmp_path: Path) -> None:
    report = import_dir(write(tmp_path, GOOD, bom=True))

    assert report.files["units.csv"] == FileCounts(created=2)
    assert report.files["participations.csv"] == FileCounts(created=3)
    assert report.affected_units == {"U1", "U2"}
    assert report.created_communes == []

    assert Office.objects.get(code="HN01").parent == Office.objects.get(code="HN")
    assert Office.objects.get(code="HN").is_province

    u1, u2 = Unit.objects.get(code="U1"), Unit.objects.get(code="U2")
    assert (u1.region, u1.payment_cycle, u1.office.code, u1.registered_on) == (
        2,
        3,
        "HN01",
        date(2020, 1, 15),
    )
    assert (u2.region, u2.status, u2.ownership, u2.tax_code) == (1, "dissolving", "cooperative", "")

    an = Person.objects.get(si_code="0101000001")
    binh = Person.objects.get(si_code="0101000002")
    assert (an.sex, an.birth_date, an.commune.code) == ("M", date(1990, 5, 1), "00001")
    assert (binh.sex, binh.birth_date, binh.commune) == ("F", None, None)

    p = Participation.objects.get(person=an)
    assert (p.wage, p.si, p.hi, p.ui, p.oadi) == (12_000_000, True, True, False, False)
    assert (p.from_month, p.to_month, p.declared_on, p.retro_interest) == (
        Month(2025, 1),
        None,
        None,
        False,
    )
    late = Participation.objects.get(person=binh, declared_on=date(2025, 2, 10))
    assert (late.from_month, late.to_month, late.retro_interest, late.funds_text) == (
        Month(2024, 10),
        Month(2024, 12),
        True,
        "SI+HI+UI+OADI",
    )

    pay = Payment.objects.get(payment_id="VCB-0001")
    assert (pay.unit.code, pay.amount, pay.paid_on) == ("U1", 5_000_000, date(2025, 2, 28))
    assert (pay.reference, pay.channel, pay.source) == (
        "U1 nop BHXH, thang 1",
        "bank",
        str((tmp_path / "payments.csv").resolve()),
    )

    assert (
        PlanTarget.objects.get(year=2025, office__code="HN01", indicator="revenue").value
        == 900_000_000_000
    )


def test_reimport_is_a_no_op(tmp_path: Path) -> None:
    directory = write(tmp_path, GOOD)
    out, _ = run(directory)
    assert "payments.csv: 2 created, 0 updated, 0 unchanged" in out
    before = counts()

    out, err = run(directory)

    assert counts() == before
    for name in GOOD:
        assert f"{name}: 0 created, 0 updated, " in out
    assert "persons.csv: 0 created, 0 updated, 2 unchanged" in out
    assert "participations.csv: 0 created, 0 updated, 3 unchanged" in out
    assert "unit(s) affected" not in out
    assert err == ""


def test_changed_rows_are_updated_not_duplicated(tmp_path: Path) -> None:
    import_dir(write(tmp_path / "a", GOOD))
    before = counts()
    changed = dict(GOOD)
    changed["participations.csv"] = GOOD["participations.csv"].replace(
        "2025-01,,12000000,SI+HI,", "2025-01,2025-09,13000000,SI+HI+UI,"
    )
    changed["units.csv"] = GOOD["units.csv"].replace("private,active,II", "private,active,III")
    changed["persons.csv"] = GOOD["persons.csv"].replace(
        "Nguyễn Văn An,1990-05-01,Nam,00001", "Nguyễn Văn Ân,,Nam,"
    )
    changed["offices.csv"] = GOOD["offices.csv"].replace("HN01,BHXH Ba Đình,HN", "HN01,Ba Đình,")
    changed["plans.csv"] = GOOD["plans.csv"].replace("si_compulsory,120000", "si_compulsory,125000")

    report = import_dir(write(tmp_path / "b", changed))

    # no new rows but the audit row of this import, which names what it updated
    assert {**counts(), "core.AuditEvent": 0} == {**before, "core.AuditEvent": 0}
    audit = AuditEvent.objects.filter(action="import_dir").order_by("id")
    assert audit.count() == 2 and audit.last().detail["after"]["units.csv"] == "0 created, 1 updated, 1 unchanged"
    assert report.files["participations.csv"] == FileCounts(updated=1, unchanged=2)
    assert report.files["units.csv"] == FileCounts(updated=1, unchanged=1)
    assert report.files["persons.csv"] == FileCounts(updated=1, unchanged=1)
    assert report.files["offices.csv"] == FileCounts(updated=1, unchanged=1)
    assert report.files["plans.csv"] == FileCounts(updated=1, unchanged=2)
    assert report.affected_units == {"U1"}
    p = Participation.objects.get(person__si_code="0101000001")
    assert (p.wage, p.ui, p.to_month) == (13_000_000, True, Month(2025, 9))
    assert Unit.objects.get(code="U1").region == 3
    an = Person.objects.get(si_code="0101000001")
    assert (an.full_name, an.birth_date, an.commune) == ("Nguyễn Văn Ân", None, None)
    hn01 = Office.objects.get(code="HN01")
    assert (hn01.name, hn01.parent) == ("Ba Đình", None)
    assert PlanTarget.objects.get(office__code="HN", indicator="si_compulsory").value == 125_000
    # and the changed files are now the state: importing them again changes nothing
    again = import_dir(tmp_path / "b")
    assert all(c.created == c.updated == 0 for c in again.files.values())


def test_bad_set_writes_nothing_and_lists_every_error(tmp_path: Path) -> None:
    before = counts()
    files = {
        # good rows in good files: must not be written either
        **{name: GOOD[name] for name in ("offices.csv", "communes.csv", "units.csv", "plans.csv")},
        "persons.csv": GOOD["persons.csv"],
        "participations.csv": """\
            si_code,unit_code,from_month,to_month,wage,funds,declared_on,retro_interest
            0101000001,U1,2025-01,,12000000,SI+HI,,
            0101000002,U1,2025/01,,8000000,SI+HI,,
            """,
        "payments.csv": """\
            payment_id,unit_code,paid_on,amount,reference
            P1,U1,2025-02-28,100,
            P2,NOPE,2025-02-28,100,
            P3,U1,2025-02-28,-5,
            P1,U1,2025-03-01,200,
            """,
    }

    err = run_failing(write(tmp_path, files))

    lines = err.splitlines()
    assert "participations.csv:3: from_month: must be YYYY-MM, got '2025/01'" in lines
    assert "payments.csv:3: unit_code: unknown unit 'NOPE'" in lines
    assert "payments.csv:4: amount: must be a positive integer, got '-5'" in lines
    assert "payments.csv:5: payment_id: duplicate 'P1' (first on line 2)" in lines
    assert len(lines) == 4
    assert counts() == before


def test_import_dir_raises_import_errors(tmp_path: Path) -> None:
    files = {
        "offices.csv": """\
            office_code,name,parent_code,extra
            HN,Hà Nội,,x
            """,
        "units.csv": """\
            unit_code,name,tax_code,office_code,ownership,status,region,payment_cycle
            U1,A,,HN,private,active,I,1
            """,
        "participations.csv": """\
            si_code,unit_code,from_month,to_month,wage,funds,declared_on,retro_interest
            X,U9,2025-05,2025-04,1.5,SI+XX,2025-13-01,2
            """,
        "plans.csv": """\
            year,office_code,indicator,value
            2025,HQ,revenue,1
            2025,HQ,revenue,2
            25,HQ,money,1
            """,
    }
    with pytest.raises(ImportErrors) as info:
        import_dir(write(tmp_path, files))
    found = {(e.file, e.line, e.field) for e in info.value.errors}
    assert {
        ("offices.csv", 1, "extra"),
        ("units.csv", 1, "registered_on"),
        ("participations.csv", 2, "si_code"),
        ("participations.csv", 2, "unit_code"),
        ("participations.csv", 2, "to_month"),
        ("participations.csv", 2, "wage"),
        ("participations.csv", 2, "funds"),
        ("participations.csv", 2, "declared_on"),
        ("participations.csv", 2, "retro_interest"),
        ("plans.csv", 2, "office_code"),
        ("plans.csv", 4, "year"),
        ("plans.csv", 4, "indicator"),
    } <= found
    # References into a file whose header is broken are not reported again as unknown.
    assert ("units.csv", 2, "office_code") not in found
    assert "participations.csv:2: funds: unknown fund 'XX'" in str(info.value)


def test_duplicate_keys_within_a_file(tmp_path: Path) -> None:
    files = {
        "offices.csv": (
            "office_code,name,parent_code\nHN,A,\nHN,B,\nX,Loop,Y\nY,Loop,X\nHN01,Ba Đình,HN\n"
        ),
        "units.csv": GOOD["units.csv"] + "U1,Again,,HN,private,active,I,1,2020-01-01\n",
        "persons.csv": GOOD["persons.csv"] + "0101000001,,Dup,,M,\n",
        "participations.csv": GOOD["participations.csv"] + "0101000001,U1,2025-01,2025-12,1,HI,,\n",
        "plans.csv": (
            "year,office_code,indicator,value\n2025,HN01,revenue,900000000000\n"
            "2025,HN,si_compulsory,120000\n2025,HN01,revenue,1\n"
        ),
        "communes.csv": GOOD["communes.csv"] + "00001,Again,\n",
    }
    with pytest.raises(ImportErrors) as info:
        import_dir(write(tmp_path, files))
    text = str(info.value).splitlines()
    assert "offices.csv:3: office_code: duplicate 'HN' (first on line 2)" in text
    assert "offices.csv:4: parent_code: parent chain loops back to 'X'" in text
    assert "communes.csv:3: commune_code: duplicate '00001' (first on line 2)" in text
    assert "units.csv:4: unit_code: duplicate 'U1' (first on line 2)" in text
    assert "persons.csv:4: si_code: duplicate '0101000001' (first on line 2)" in text
    assert any(
        t.startswith("participations.csv:5: si_code+unit_code+from_month+declared_on: duplicate")
        for t in text
    )
    assert any(t.startswith("plans.csv:4: year+office_code+indicator: duplicate") for t in text)


def test_plans_whose_offices_do_not_sum_to_the_province_are_refused(tmp_path: Path) -> None:
    """plans.csv goes through the plan importer's checks (plans.importer): HN01's revenue
    900,000,000,000 against HN's 1,000,000,000,000 is refused on the file's last revenue line, and
    nothing of the directory (offices, units, payments …) is written."""
    before = counts()
    files = dict(GOOD)
    files["plans.csv"] = GOOD["plans.csv"].replace(
        "2025,HN,revenue,900000000000", "2025,HN,revenue,1000000000000"
    )

    err = run_failing(write(tmp_path, files))

    assert err.splitlines() == [
        "plans.csv:4: value: 2025 revenue: the 1 offices under HN sum to 900,000,000,000, "
        "the plan is 1,000,000,000,000 (difference -100,000,000,000)"
    ]
    assert counts() == before
    assert not Office.objects.exists() and not PlanTarget.objects.exists()


def test_payment_reimported_with_different_amount_is_an_error(tmp_path: Path) -> None:
    import_dir(
        write(tmp_path / "a", {k: GOOD[k] for k in ("offices.csv", "units.csv", "payments.csv")})
    )
    before = counts()
    changed = {
        "payments.csv": GOOD["payments.csv"].replace(
            "VCB-0002,U2,2025-03-01,1200000", "VCB-0002,U2,2025-03-01,1300000"
        )
    }

    err = run_failing(write(tmp_path / "b", changed))

    assert (
        "payments.csv:3: amount: payment 'VCB-0002' was imported with amount '1200000', "
        "this file has '1300000'; an import never changes a payment"
    ) in err.splitlines()
    assert counts() == before
    assert Payment.objects.get(payment_id="VCB-0002").amount == 1_200_000


def test_payment_ids_are_unique_per_office(tmp_path: Path) -> None:
    """U1 is of office HN01, U2 of HN: HN01's VCB-0001 does not stop HN's VCB-0001 (nor tells of it);
    the same id twice in one office is refused as ever, in one file or against the database."""
    import_dir(
        write(tmp_path / "a", {k: GOOD[k] for k in ("offices.csv", "units.csv", "payments.csv")})
    )
    other = """\
        payment_id,unit_code,paid_on,amount,reference
        VCB-0001,U2,2025-03-05,700000,
        VCB-7,U1,2025-03-06,300000,
        VCB-7,U2,2025-03-06,400000,
        """
    out, _ = run(write(tmp_path / "b", {"payments.csv": other}))
    assert "payments.csv: 3 created, 0 updated, 0 unchanged" in out
    assert sorted(Payment.objects.filter(payment_id__in=["VCB-0001", "VCB-7"]).values_list(
        "payment_id", "office__code", "unit__code", "amount")) == [
        ("VCB-0001", "HN", "U2", 700_000), ("VCB-0001", "HN01", "U1", 5_000_000),
        ("VCB-7", "HN", "U2", 400_000), ("VCB-7", "HN01", "U1", 300_000)]
    before = counts()
    same_office = """\
        payment_id,unit_code,paid_on,amount,reference
        VCB-0001,U1,2025-02-28,5000000,"U1 nop BHXH, thang 1"
        VCB-0001,U2,2025-03-05,700000,
        VCB-9,U1,2025-03-07,100,
        VCB-9,U1,2025-03-08,200,
        VCB-7,U1,2025-03-06,999,
        """
    lines = run_failing(write(tmp_path / "c", {"payments.csv": same_office})).splitlines()
    assert lines == [
        "payments.csv:5: payment_id: duplicate 'VCB-9' (first on line 4)",
        "payments.csv:6: amount: payment 'VCB-7' was imported with amount '300000', this file has "
        "'999'; an import never changes a payment",
    ], lines
    assert counts() == before


def test_unknown_commune_is_created_with_a_warning(tmp_path: Path) -> None:
    files = {
        "persons.csv": """\
            si_code,national_id,full_name,birth_date,sex,commune_code
            0101000009,,Lê Văn C,1980-01-01,M,99999
            0101000010,,Lê Thị D,1981-01-01,F,99998
            0101000011,,Lê Thị E,1982-01-01,F,99999
            """,
    }
    _, err = run(write(tmp_path, files))

    assert "warning: persons.csv: 2 commune code(s)" in err
    assert "99998, 99999" in err
    commune = Commune.objects.get(code="99999")
    assert (commune.name, commune.office) == ("99999", None)
    assert Person.objects.get(si_code="0101000011").commune == commune


def test_physical_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    files = {
        "offices.csv": 'office_code,name,parent_code\r\nHN,"Hà\nNội",\r\n\r\nHN01,Ba Đình,NOPE\r\n',
    }
    with pytest.raises(ImportErrors) as info:
        import_dir(write(tmp_path, files))
    assert [str(e) for e in info.value.errors] == [
        "offices.csv:2: name: control character U+000A at position 3",  # a name is one line
        "offices.csv:5: parent_code: unknown office 'NOPE'",  # the quoted newline still counts
    ]


def test_the_directory_files_are_read_strictly(tmp_path: Path) -> None:
    """The one CSV reader (exchange.rows.read_csv) reads the directory's files as UTF-8 and comma-separated,
    whatever it could guess: Windows-1258 bytes and a semicolon file are refused, nothing written."""
    before = counts()
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "offices.csv").write_bytes("office_code,name,parent_code\nHN,Hà Nam,\n".encode("cp1258"))
    (tmp_path / "communes.csv").write_text("commune_code;name;office_code\n00001;Phúc Xá;HN\n", encoding="utf-8")

    with pytest.raises(ImportErrors) as info:
        import_dir(tmp_path)

    assert [str(e) for e in info.value.errors] == [
        "offices.csv:2: encoding: not valid utf-8-sig at byte 33",
        "communes.csv:1: commune_code: missing column",
        "communes.csv:1: name: missing column",
        "communes.csv:1: office_code: missing column",
        "communes.csv:1: commune_code;name;office_code: unexpected column",
    ]
    assert counts() == before
