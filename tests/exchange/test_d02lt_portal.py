"""D02-LT as the VSS portal hands it out (FileMau-D02LT, sheet DuLieu): title rows, a two-row header,
the full column set, ``CODE-label`` actions, sex as 1/0, months as mm/yyyy — previewed and imported."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sicollect.exchange.rows import ImportErrors
from sicollect.exchange.declarations import ACTIONS, do_import_declaration, preview, read_declaration
from sicollect.registry.models import Participation, Person

from .. import factories as f

pytestmark = pytest.mark.django_db

DECLARED = date(2025, 10, 15)

#: the template's columns: (group over two rows, or the column; sub-columns under the group)
COLUMNS: list[tuple[str, list[str]]] = [
    ("STT", []), ("Họ và tên", []), ("Mã số BHXH", []), ("Số CMND/ CCCD/Hộ chiếu", []), ("Ngày sinh", []),
    ("Giới tính", []), ("Quốc tịch", []), ("Dân tộc", []),
    ("Nơi cấp giấy khai sinh", ["Tỉnh/TP", "Quận/Huyện", "Phường/Xã"]),
    ("Địa chỉ nhận hồ sơ", ["Số nhà, đường phố, thôn xóm", "Tỉnh/TP", "Quận/Huyện", "Phường/Xã"]),
    ("Địa chỉ liên hệ", ["Số nhà, đường phố, thôn xóm", "Tỉnh/TP", "Quận/Huyện", "Phường/Xã"]),
    ("Nơi đăng ký KCB ban đầu", ["Tỉnh/TP", "Bệnh viện"]), ("Mã hộ gia đình", []), ("Số điện thoại", []),
    ("Email", []), ("Chức vụ", []),
    ("Vị trí việc làm", ["Nhà quản lý", "CMKT bậc cao", "CMKT bậc trung", "Khác"]),
    ("Tiền lương", ["Hệ số lương", "Mức lương", "Phụ cấp CV", "Phụ cấp TNVK (%)", "Phụ cấp TN nghề (%)",
                    "Phụ cấp lương", "Các khoản bổ sung"]),
    ("Ngành nghề nặng nhọc, độc hại", ["Ngày bắt đầu", "Ngày kết thúc"]),
    ("Hợp đồng lao động", ["Ngày bắt đầu", "Ngày kết thúc", "Loại HĐLĐ", "Số HĐLĐ"]),
    ("Tháng/ năm", ["bắt đầu", "kết thúc"]), ("Phương án", []), ("Tỷ lệ đóng", []), ("Số tháng truy thu", []),
    ("Tham gia BHTN", []), ("Ghi chú", []),
]


def _headers() -> tuple[list[str], list[str]]:
    top, sub = [], []
    for group, subs in COLUMNS:
        if subs:
            top += [group] + [""] * (len(subs) - 1)
            sub += subs
        else:
            top.append(group)
            sub.append("")
    return top, sub


def portal_file(tmp_path: Path, lines: list[dict[str, object]]) -> Path:
    from openpyxl import Workbook

    top, sub = _headers()
    book = Workbook()
    sheet = book.active
    sheet.title = "DuLieu"
    sheet.append(["DANH SÁCH LAO ĐỘNG THAM GIA BHXH, BHYT, BHTN, BHTNLĐ-BNN (Mẫu D02-LT)"])
    sheet.append(["Tên đơn vị: Công ty TA0001", None, None, "Mã đơn vị: TA0001"])
    sheet.append(top)
    sheet.append(sub)
    for line in lines:
        row = [""] * len(sub)
        for i, (t, s) in enumerate(zip(_carried(top), sub)):
            key = f"{t}/{s}" if s else t
            if key in line:
                row[i] = line[key]
        sheet.append(row)
    # the portal merges each group's cell over its sub-columns, and each single column over both rows
    col = 1
    for group, subs in COLUMNS:
        if subs:
            sheet.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
            col += len(subs)
        else:
            sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
            col += 1
    path = tmp_path / "FileMau-D02LT.xlsx"
    book.save(path)
    return path


def _carried(top: list[str]) -> list[str]:
    out, last = [], ""
    for t in top:
        last = t or last
        out.append(last)
    return out


def unit_with_one_employee():
    """HI only, 10,000,000 from Jul 2025: 450,000 a month."""
    u = f.unit("TA0001")
    f.participation(u, f.person("3101000001"), "2025-07", None, 10_000_000, "HI")
    return u


LINES = [
    {"STT": 1, "Họ và tên": "Lê Thị Hoa", "Mã số BHXH": "3101000099", "Số CMND/ CCCD/Hộ chiếu": "022195000123",
     "Ngày sinh": "02/03/1995", "Giới tính": "0", "Quốc tịch": "VN", "Dân tộc": "Kinh",
     "Địa chỉ nhận hồ sơ/Tỉnh/TP": "Quảng Ninh", "Nơi đăng ký KCB ban đầu/Bệnh viện": "BV Bãi Cháy",
     "Chức vụ": "Kế toán", "Vị trí việc làm/CMKT bậc trung": "x", "Tiền lương/Hệ số lương": "",
     "Tiền lương/Mức lương": "7.000.000", "Tiền lương/Phụ cấp lương": "300.000",
     "Tiền lương/Các khoản bổ sung": "200.000", "Hợp đồng lao động/Ngày bắt đầu": "01/11/2025",
     "Hợp đồng lao động/Loại HĐLĐ": "Không xác định thời hạn", "Tháng/ năm/bắt đầu": "11/2025",
     "Phương án": "TM-Tăng mới", "Tỷ lệ đóng": "32", "Tham gia BHTN": "1"},
    {"STT": 2, "Họ và tên": "Người 1", "Mã số BHXH": "3101000001", "Giới tính": "1",
     "Tháng/ năm/bắt đầu": "12/2025", "Phương án": "GH-Giảm hẳn", "Ghi chú": "nghỉ việc"},
]


def test_the_portal_layout_previews_and_imports(tmp_path: Path) -> None:
    u = unit_with_one_employee()
    path = portal_file(tmp_path, LINES)
    decl = read_declaration(path, u, DECLARED)
    assert [(r.line, r.action, r.si_code, str(r.from_month), r.to_month, r.wage) for r in decl.rows] == [
        (5, "TM", "3101000099", "2025-11", None, 7_500_000),  # 7,000,000 + 300,000 + 200,000
        (6, "GH", "3101000001", "2025-12", None, 0)]
    (warning,) = decl.warnings
    assert warning.startswith("FileMau-D02LT.xlsx: 30 column(s) not used by sicollect: Quốc tịch, Dân tộc, "
                              "Nơi cấp giấy khai sinh Tỉnh/TP,")
    assert "Tỷ lệ đóng" in warning and "Mức lương" not in warning and "Hệ số lương" not in warning
    p = preview(decl)
    assert str(p.through) == "2025-12"
    dues = {(str(e.period), e.fund): (e.before, e.after) for e in p.effects if e.kind == "due"}
    # November: the new hire's 7,500,000 on every fund, 32 % in all (SI long-term 22 %, short-term 3 %, UI 2 %,
    # HI 4.5 %, OADI 0.5 %); December: the same, and the leaver's HI (450,000) stops
    assert dues == {
        ("2025-11", "HI"): (450_000, 787_500), ("2025-11", "OADI"): (0, 37_500),
        ("2025-11", "SI_LT"): (0, 1_650_000), ("2025-11", "SI_ST"): (0, 225_000), ("2025-11", "UI"): (0, 150_000),
        ("2025-12", "HI"): (450_000, 337_500), ("2025-12", "OADI"): (0, 37_500),
        ("2025-12", "SI_LT"): (0, 1_650_000), ("2025-12", "SI_ST"): (0, 225_000), ("2025-12", "UI"): (0, 150_000),
    }
    assert p.total("due") == 2 * 7_500_000 * 32 // 100 - 450_000 == 4_350_000
    assert p.total("interest") == 0 and p.total("adjustment") == 0
    do_import_declaration(decl)
    hoa = Person.objects.get(si_code="3101000099")
    assert (hoa.full_name, hoa.sex, hoa.birth_date, hoa.national_id) == (
        "Lê Thị Hoa", "F", date(1995, 3, 2), "022195000123")
    rows = Participation.objects.filter(declared_on=DECLARED).order_by("from_month")
    assert [(r.person.si_code, str(r.from_month), r.wage, r.si, r.hi) for r in rows] == [
        ("3101000099", "2025-11", 7_500_000, True, True), ("3101000001", "2025-12", 0, True, True)]


def test_portal_values_that_are_wrong_are_reported_by_line_and_field(tmp_path: Path) -> None:
    u = unit_with_one_employee()
    path = portal_file(tmp_path, [
        {"Họ và tên": "A", "Mã số BHXH": "3101000098", "Giới tính": "2", "Tháng/ năm/bắt đầu": "11/2025",
         "Phương án": "TM-Tăng mới", "Tiền lương/Mức lương": "5.000.000"},
        {"Họ và tên": "B", "Mã số BHXH": "3101000097", "Giới tính": "Nữ", "Tháng/ năm/bắt đầu": "11/2025",
         "Phương án": "TM-Tăng mới", "Tiền lương/Hệ số lương": "2,34"},
        {"Mã số BHXH": "3101000001", "Tháng/ năm/bắt đầu": "11/2025", "Phương án": "XX-Không có"},
        {"Mã số BHXH": "3101000001", "Tháng/ năm/bắt đầu": "10/2025", "Phương án": "TD-Truy đóng",
         "Tiền lương/Mức lương": "12.000.000"},
    ])
    with pytest.raises(ImportErrors) as caught:
        read_declaration(path, u, DECLARED)
    assert [str(e) for e in caught.value.errors] == [
        "FileMau-D02LT.xlsx:5: sex: must be one of 1, 0, M, F, Nam, Nữ, got '2'",
        "FileMau-D02LT.xlsx:6: wage: a coefficient wage (coefficient) is not computed by sicollect: write the wage "
        "in đồng (Mức lương)",
        f"FileMau-D02LT.xlsx:7: action: must be one of {', '.join(ACTIONS)}, got 'XX-Không có'",
        "FileMau-D02LT.xlsx:8: from_month: TD (Truy đóng) is for months before the declaring month 2025-10, "
        "got 2025-10",
    ]


def test_the_action_codes_are_data_rows_with_the_portals_labels() -> None:
    assert {c: (a.label, a.kind) for c, a in ACTIONS.items() if c in ("TM", "TD", "DC", "GH", "TS")} == {
        "TM": ("Tăng mới", "start"), "TD": ("Truy đóng", "retro"), "DC": ("Điều chỉnh lương", "adjust"),
        "GH": ("Giảm hẳn", "stop"), "TS": ("Nghỉ thai sản", "pause")}
