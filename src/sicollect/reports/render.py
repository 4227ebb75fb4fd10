"""The KPI report as text (like the articles' paragraphs) and as an xlsx workbook."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from sicollect.core.money import format_vnd
from sicollect.core.safe_export import SafeSheet


def _p(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.2f}%"
    return text.replace(".", ",") if lang == "vi" else text


def _n(value: int | None, lang: str) -> str:
    if value is None:
        return "—"
    return format_vnd(value) if lang == "vi" else f"{value:,}"


def _signed(value: int, lang: str) -> str:
    word = ("tăng" if value >= 0 else "giảm") if lang == "vi" else ("up" if value >= 0 else "down")
    return f"{word} {_n(abs(value), lang)}"


def render_text(data: dict[str, Any], lang: str = "vi", where: str = "") -> str:
    r, d, p, c = data["revenue"], data["debt"], data["participants"], data["coverage"]
    e = data.get("enforcement")
    as_of = data["as_of"]
    if lang == "vi":
        day = "/".join(reversed(as_of.split("-")))
        lines = [
            f"Đến ngày {day}, tổng số thu BHXH, BHYT, BHTN {where}đạt {_n(r['collected_ytd'], lang)} đồng, "
            f"bằng {_p(r['pct_of_plan'], lang)} kế hoạch BHXH Việt Nam giao, "
            f"{_signed(r['change_vs_previous_month'], lang)} đồng so với tháng trước và "
            f"{_signed(r['change_vs_last_year'], lang)} đồng so với cùng kỳ năm trước.",
            f"Tổng số chậm đóng là {_n(d['outstanding_total'], lang)} đồng, chiếm {_p(d['outstanding_pct_of_plan'], lang)} "
            f"kế hoạch; trong đó số chậm đóng phải tính lãi là {_n(d['interest_bearing'], lang)} đồng, chiếm "
            f"{_p(d['interest_bearing_pct_of_plan'], lang)} (cùng kỳ năm trước "
            f"{_p(d['one_year_earlier']['interest_bearing_pct_of_plan'], lang)}). "
            f"Có {d['units_late']} đơn vị chậm đóng, trong đó {d['units_late_2_months_or_more']} đơn vị nợ từ 2 tháng trở lên.",
            f"Số người tham gia BHXH là {_n(p['si_total']['count'], lang)} người, đạt {_p(p['si_total']['pct_of_plan'], lang)} "
            f"kế hoạch, chiếm {_p(c['si_pct_labour_force'], lang)} lực lượng lao động trong độ tuổi; trong đó BHXH bắt buộc "
            f"{_n(p['si_compulsory']['count'], lang)} người ({_p(p['si_compulsory']['pct_of_plan'], lang)} kế hoạch), "
            f"BHXH tự nguyện {_n(p['si_voluntary']['count'], lang)} người ({_p(p['si_voluntary']['pct_of_plan'], lang)} kế hoạch); BHTN {_n(p['ui']['count'], lang)} người "
            f"({_p(p['ui']['pct_of_plan'], lang)}); BHYT {_n(p['hi']['count'], lang)} người "
            f"({_p(p['hi']['pct_of_plan'], lang)}), tỷ lệ bao phủ BHYT đạt {_p(c['hi_pct_population'], lang)} dân số.",
        ]
        if e:
            lines.append(f"Từ đầu năm đã gửi {_n(e['notices_sent'], lang)} thông báo tới {_n(e['units_noticed'], lang)} "
                         f"đơn vị chậm đóng; có {e['working_groups']} đoàn liên ngành đôn đốc thu nợ "
                         f"({e['working_groups_province']} đoàn cấp tỉnh, {e['working_groups_grassroots']} đoàn tại "
                         "BHXH cơ sở).")
    else:
        lines = [
            f"By {as_of}, total SI, HI and UI revenue {where}reached {_n(r['collected_ytd'], lang)} VND, "
            f"{_p(r['pct_of_plan'], lang)} of the plan assigned by Vietnam Social Security, "
            f"{_signed(r['change_vs_previous_month'], lang)} VND on the previous month and "
            f"{_signed(r['change_vs_last_year'], lang)} VND on the same period last year.",
            f"Late payment totals {_n(d['outstanding_total'], lang)} VND, {_p(d['outstanding_pct_of_plan'], lang)} of the plan; "
            f"of which {_n(d['interest_bearing'], lang)} VND bears interest, {_p(d['interest_bearing_pct_of_plan'], lang)} "
            f"(a year earlier {_p(d['one_year_earlier']['interest_bearing_pct_of_plan'], lang)}). "
            f"{d['units_late']} units are late, {d['units_late_2_months_or_more']} of them by 2 months or more.",
            f"{_n(p['si_total']['count'], lang)} people participate in SI, {_p(p['si_total']['pct_of_plan'], lang)} of the plan "
            f"and {_p(c['si_pct_labour_force'], lang)} of the working-age labour force: compulsory SI "
            f"{_n(p['si_compulsory']['count'], lang)} ({_p(p['si_compulsory']['pct_of_plan'], lang)}), voluntary SI "
            f"{_n(p['si_voluntary']['count'], lang)} ({_p(p['si_voluntary']['pct_of_plan'], lang)}); UI {_n(p['ui']['count'], lang)} ({_p(p['ui']['pct_of_plan'], lang)}); "
            f"HI {_n(p['hi']['count'], lang)} ({_p(p['hi']['pct_of_plan'], lang)}), HI coverage "
            f"{_p(c['hi_pct_population'], lang)} of the population.",
        ]
        if e:
            lines.append(f"Since 1 January {_n(e['notices_sent'], lang)} notices went to {_n(e['units_noticed'], lang)} "
                         f"late units; {e['working_groups']} interdisciplinary working groups urge debt collection "
                         f"({e['working_groups_province']} at the province office, {e['working_groups_grassroots']} "
                         "at grassroots offices).")
    return "\n\n".join(lines)


def render_xlsx(data: dict[str, Any], ranking: list[dict[str, Any]] | None = None) -> bytes:
    """One sheet per section; values as numbers so officers can compute with them."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for section in ("revenue", "debt", "participants", "coverage", "enforcement"):
        if section not in data:
            continue
        ws = SafeSheet(wb.create_sheet(section))  # core.safe_export
        ws.append(["as_of", data["as_of"], "office", data["office"] or "province"])
        ws.append([])
        _write(ws, data[section], [])
    if ranking:
        ws = SafeSheet(wb.create_sheet("ranking"))
        keys = list(ranking[0])
        ws.append(keys)
        for row in ranking:
            ws.append([row[k] for k in keys])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write(ws: Any, value: Any, path: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _write(ws, v, [*path, str(k)])
    else:
        ws.append([".".join(path), value])
