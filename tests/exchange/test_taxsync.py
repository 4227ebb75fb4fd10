"""The tax authority's enterprise list: leads, status proposals confirmed by an officer, changes, exports."""
from __future__ import annotations

import csv
import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from sicollect.contributions.posting import post_units
from sicollect.core.months import Month
from sicollect.exchange.rows import ImportErrors
from sicollect.core.models import AuditEvent
from sicollect.exchange.models import TaxEnterprise, UnitStatusProposal
from sicollect.exchange.taxsync import (
    ProposalError,
    do_confirm_proposal,
    do_import_tax_list,
    do_reject_proposal,
    export_for_labour,
    export_for_tax,
    tax_report,
)
from sicollect.registry.models import Commune, Unit

from .. import factories as f
from .helpers import named_unit, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def registry() -> None:
    ha_long = f.office("QN01")
    cam_pha = f.office("QN02")
    Commune.objects.create(code="22012", name="Phường Bãi Cháy", office=ha_long)
    Commune.objects.create(code="22150", name="Phường Cẩm Đông", office=cam_pha)
    named_unit("TQN00012", "Công ty TNHH Xây dựng Hạ Long", tax_code="5701234567", office=ha_long)
    named_unit("TQN00013", "Công ty Cổ phần Than Cẩm Phả", tax_code="5700000013", office=cam_pha)
    named_unit("TQN00014", "Công ty TNHH Thương mại Bãi Cháy", tax_code="5700000014", office=ha_long)
    named_unit("TQN00015", "HTX Vận tải Hòn Gai", tax_code="5700000015", office=ha_long, status="missing")
    named_unit("TQN00016", "Công ty TNHH Du lịch Tuần Châu", tax_code="5700000016", office=ha_long)


LIST_1 = """
    Mã số thuế,Tên người nộp thuế,Địa chỉ,Trạng thái,Ngày trạng thái,Mã xã,Ngành nghề
    5701234567,CÔNG TY TNHH XÂY DỰNG HẠ LONG,"Số 1 Hạ Long",Đang hoạt động,2020-01-01,22012,4100
    5700000013,Công ty CP Than Cẩm Phả,"Cẩm Đông",Đã giải thể,2025-09-15,22150,0510
    5700000014,Công ty TNHH Thương mại và Dịch vụ Bãi Cháy,"Bãi Cháy",Tạm ngừng,2025-08-01,22012,4690
    5700000015,HTX Vận tải Hòn Gai,"Hòn Gai",active,2025-07-01,22012,4933
    5709999991,Công ty TNHH Mới Hạ Long,"Số 9 Bãi Cháy",Đang hoạt động,2025-09-01,22012,5610
    5709999992,Công ty CP Cẩm Phả Mới,"Cẩm Đông",dang hoat dong,2025-09-02,22150,1010
    5709999993,Công ty TNHH Đã Đóng,"",dissolved,2025-01-01,22150,1010
"""


def test_a_tax_list_gives_leads_per_office_proposals_and_name_changes(tmp_path: Path) -> None:
    registry()
    result = do_import_tax_list(write_csv(tmp_path / "dn-2025-09.csv", LIST_1), actor="officer1")
    assert (result.enterprises, result.proposals) == (7, 3)
    report = tax_report()
    assert {office: [i["tax_code"] for i in items] for office, items in report.leads.items()} == {
        "QN01": ["5709999991"], "QN02": ["5709999992"]}  # the dissolved one is no lead
    assert [(p["unit"], p["from"], p["to"], p["tax_status"]) for p in report.proposals] == [
        ("TQN00013", "active", "dissolved", "dissolved"),
        ("TQN00014", "active", "suspended", "suspended"),
        ("TQN00015", "missing", "active", "active"),
    ]
    assert [(c["unit"], c["tax_list"]) for c in report.name_changes] == [
        ("TQN00014", "Công ty TNHH Thương mại và Dịch vụ Bãi Cháy")]  # Hạ Long differs only in case and accents
    assert report.not_listed == ["TQN00016"]
    assert Unit.objects.get(code="TQN00013").status == "active"  # nothing changes before an officer confirms


def test_an_officer_confirms_a_status_change_with_an_audit_row(tmp_path: Path) -> None:
    registry()
    do_import_tax_list(write_csv(tmp_path / "dn.csv", LIST_1))
    dissolved = UnitStatusProposal.objects.get(unit__code="TQN00013")
    do_confirm_proposal(dissolved.pk, "officer2", "verified with the tax department")
    assert Unit.objects.get(code="TQN00013").status == "dissolved"
    audit = AuditEvent.objects.get(action="confirm_unit_status")
    assert (audit.actor, audit.object_id, audit.detail["before"], audit.detail["after"]) == (
        "officer2", "TQN00013", "active", "dissolved")
    with pytest.raises(ProposalError):
        do_confirm_proposal(dissolved.pk, "officer2")
    suspended = UnitStatusProposal.objects.get(unit__code="TQN00014")
    with pytest.raises(ProposalError):
        do_reject_proposal(suspended.pk, "officer2", "")
    do_reject_proposal(suspended.pk, "officer2", "paid last week, still operating")
    assert Unit.objects.get(code="TQN00014").status == "active"
    out = StringIO()
    call_command("taxsync", "confirm", str(UnitStatusProposal.objects.get(unit__code="TQN00015").pk), stdout=out)
    assert "TQN00015 now active" in out.getvalue()


def test_a_newer_list_supersedes_open_proposals_and_shows_address_changes(tmp_path: Path) -> None:
    registry()
    do_import_tax_list(write_csv(tmp_path / "dn-09.csv", LIST_1))
    path = write_xlsx(tmp_path / "dn-10.xlsx", [
        ["MST", "Tên doanh nghiệp", "Địa chỉ", "Trạng thái", "Ngày trạng thái", "Mã xã"],
        ["5700000013", "Công ty CP Than Cẩm Phả", "Cẩm Đông", "Đang giải thể", date(2025, 10, 2), "22150"],
        ["5701234567", "Công ty TNHH Xây dựng Hạ Long", "Số 20 Hạ Long", "Đang hoạt động", None, "22012"],
    ])
    result = do_import_tax_list(path)
    assert (result.proposals, result.superseded) == (1, 1)
    assert UnitStatusProposal.objects.get(unit__code="TQN00013", status="open").to_status == "dissolving"
    report = tax_report()
    assert [(c["unit"], c["before"], c["after"]) for c in report.address_changes] == [
        ("TQN00012", "Số 1 Hạ Long", "Số 20 Hạ Long")]
    assert UnitStatusProposal.objects.filter(unit__code="TQN00014", status="open").exists()  # not on the new list


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    registry()
    path = write_csv(tmp_path / "bad.csv", """
        tax_code,name,status,status_date,commune_code
        57012345,A,active,,
        5700000013,,closed,2025-13-01,99999
        5700000013,B,active,,
    """)
    with pytest.raises(ImportErrors) as caught:
        do_import_tax_list(path)
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (2, "tax_code"), (3, "commune_code"), (3, "name"), (3, "status"), (3, "status_date"), (4, "tax_code")]
    assert not TaxEnterprise.objects.exists() and not UnitStatusProposal.objects.exists()
    good = write_csv(tmp_path / "good.csv", LIST_1)
    do_import_tax_list(good)
    with pytest.raises(ImportErrors):
        do_import_tax_list(good)  # the same file twice
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("taxsync", "import", str(good), stdout=StringIO(), stderr=err)
    assert "good.csv:1: file: already imported" in err.getvalue()


def test_exports_for_the_tax_authority_and_the_labour_department(tmp_path: Path) -> None:
    registry()
    u = Unit.objects.get(code="TQN00012")
    f.participation(u, f.person(), "2025-07", None, 10_000_000, "HI")
    f.participation(u, f.person(), "2025-07", None, 8_000_000, "HI")
    post_units([u], Month(2025, 9))
    do_import_tax_list(write_csv(tmp_path / "dn.csv", LIST_1))
    (path,) = export_for_tax(tmp_path / "thue.csv", Month(2025, 9))
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    first = next(r for r in rows if r["unit_code"] == "TQN00012")
    # HI 4.5 % of 18,000,000 = 810,000 a month, Jul–Sep unpaid; July late from 1 Sep: 30 days × 0.03 %
    assert (first["headcount"], first["principal_owed"], first["interest_owed"]) == ("2", "2430000", "7290")
    (xlsx,) = export_for_labour(tmp_path / "ldtbxh.xlsx", Month(2025, 9))
    book = load_workbook(xlsx)
    assert book.sheetnames == ["units", "leads"]
    units = list(book["units"].iter_rows(values_only=True))
    assert units[0][:3] == ("unit_code", "tax_code", "name")
    assert (units[1][0], units[1][6], units[1][7]) == ("TQN00012", 2, 18_000_000)
    assert [r[1] for r in list(book["leads"].iter_rows(values_only=True))[1:]] == ["5709999991", "5709999992"]
    out = StringIO()
    call_command("taxsync", "export", "labour", "--as-of", "2025-09", "-o", str(tmp_path / "l.csv"), stdout=out)
    assert (tmp_path / "l.csv").exists() and (tmp_path / "l-leads.csv").exists()
    out = StringIO()
    call_command("taxsync", "report", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["leads"]["QN02"][0]["tax_code"] == "5709999992"
