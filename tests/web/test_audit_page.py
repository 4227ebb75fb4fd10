"""The audit page shows an event's fields as labelled rows in the user's language, the values in the
Vietnamese format (issue 20: the raw ``closed_through``, ``entries`` … showed in Vietnamese mode)."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings

from sicollect.core import audit

from .helpers import as_user

pytestmark = pytest.mark.django_db


def fields(page: str, event_id: str) -> list[tuple[str, str]]:
    row = page.split(f"<td>{event_id}</td>")[1].split("</tr>")[0]
    return re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", row)


def test_the_close_event_reads_in_vietnamese(qn: dict[str, Any]) -> None:
    page = as_user(qn, "prov").get("/audit/").content.decode()
    close = fields(page, "khóa sổ 2025-07…2025-10")  # helpers.build closes Jul–Oct 2025
    assert close == [
        ("đã khóa sổ đến", "10/2025"),
        # due: HL001 4 × 450,000 (Jul–Oct) + CP001 3 × 450,000 (Aug–Oct) + HL002 32 % of 10,000,000 (Oct)
        ("số tiền đã ghi sổ", "Phải đóng: 6.350.000 đ; Lãi chậm đóng: 16.605 đ; Đã đóng: -3.200.000 đ; Số tiền thừa: 0 đ"),
        ("số bút toán", "22"),
    ]
    assert "closed_through" not in page and "entries" not in page and "amounts" not in page


def test_values_take_the_vietnamese_format_and_unknown_keys_are_prettified(qn: dict[str, Any]) -> None:
    audit.record("log_followup", "hl_off", "followup", 7, unit_code="HL001", before=None,
                 after={"kind": "call", "outcome": "promised", "contacted_on": "2025-11-03", "promise_amount": 9_000_000,
                        "promise_date": "2025-11-05", "promise_status": "pending", "next_action": "",
                        "checked_at": datetime(2025, 11, 3, 17, 30, tzinfo=UTC).isoformat(), "debt_state_changes": 12345,
                        "ok": True})
    c = as_user(qn, "prov")
    got = dict(fields(c.get("/audit/?unit=HL001").content.decode(), "lần liên hệ 7"))
    assert got == {
        "hình thức liên hệ": "Gọi điện", "kết quả": "Hứa đóng", "ngày liên hệ": "03/11/2025",
        "số tiền hứa đóng": "9.000.000 đ", "hẹn đóng trước ngày": "05/11/2025", "lời hứa": "Đang chờ",
        "checked at": "04/11/2025 00:30",  # 17:30 UTC is half past midnight in Hà Nội
        "debt state changes": "12.345", "thành công": "có",
    }
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    got = dict(fields(c.get("/audit/?unit=HL001").content.decode(), "contact 7"))
    assert got["contact by"] == "Call" and got["amount promised"] == "9.000.000 đ" and got["succeeded"] == "yes"


def test_a_confirmed_step_names_the_step_and_the_object_in_words(qn: dict[str, Any]) -> None:
    audit.record("confirm_case_step", "hl_off", "case_step", 5, before={"status": "proposed"},
                 after={"status": "confirmed", "confirmed_on": "2025-11-03"}, case=1, unit="HL001", step="NOTICE",
                 notice="HL/2025/000001")
    page = as_user(qn, "prov").get("/audit/?user=hl_off").content.decode()
    assert "<td>bước hồ sơ 5</td>" in page and "case_step" not in page
    got = fields(page, "bước hồ sơ 5")
    assert got == [("trạng thái", "Đề xuất"), ("trạng thái", "Đã duyệt"), ("ngày duyệt", "03/11/2025"), ("hồ sơ", "1"),
                   ("đơn vị", "HL001"), ("bước", "Thông báo kết quả đóng, nhắc nợ"), ("số thông báo", "HL/2025/000001")]
