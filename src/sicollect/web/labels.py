"""Words shown to people for the codes the data holds, in the user's language.

Two kinds:

* codes (``opened``, ``confirm_case_step``, ``HI``, ``ge12``…) → a label, by :func:`label`
  (``{{ e.kind|label:"event" }}``); an unknown code is shown as it is;
* Vietnamese labels of the data (model choices such as ``Đã đóng``, the ladder's step names, the
  aging bands, the C12-TS row labels) → the same words in English mode, by the ``tr`` filter: they are
  msgids of the catalogue (listed here with ``gettext_noop``), Vietnamese in the vi catalogue and
  English in the en one.
"""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from sicollect.arrears.models import ContactOutcome

EVENT = {
    "opened": gettext_lazy("case opened"),
    "closed_paid": gettext_lazy("closed: paid"),
    "closed_class_iv": gettext_lazy("closed: hard to collect (class IV)"),
    "proposed": gettext_lazy("step proposed"),
    "confirmed": gettext_lazy("step confirmed"),
    "assigned": gettext_lazy("officer assigned"),
    "note": gettext_lazy("note"),
    "commitment": gettext_lazy("installment commitment signed"),
    "commitment_kept": gettext_lazy("commitment kept"),
    "commitment_broken": gettext_lazy("commitment broken"),
    "visit_planned": gettext_lazy("visit planned"),
    "visit": gettext_lazy("visit recorded"),
    "status_change": gettext_lazy("unit status changed"),
    "disclosure_candidate": gettext_lazy("proposed for public disclosure"),
    "disclosure_published": gettext_lazy("published on the public list"),
    "contact": gettext_lazy("contact logged"),
    "promise_kept": gettext_lazy("promise kept"),
    "promise_broken": gettext_lazy("promise broken"),
    "notice_delivery": gettext_lazy("notice sent"),
    "disclosure_removed": gettext_lazy("removed from the public list"),
}

AUDIT = {
    "confirm_case_step": gettext_lazy("step confirmed"),
    "log_followup": gettext_lazy("contact logged"),
    "notice_delivery": gettext_lazy("notice sent"),
    "assign_officer": gettext_lazy("officer assigned"),
    "assign_suspense": gettext_lazy("suspense payment assigned"),
    "dismiss_suspense": gettext_lazy("suspense payment dismissed"),
    "export_persons": gettext_lazy("person list exported"),
    "person_list": gettext_lazy("person list read"),
    "record_payment": gettext_lazy("payment recorded"),
    "import_bank_statement": gettext_lazy("bank statement imported"),
    "import_declaration": gettext_lazy("declaration imported"),
    "import_dir": gettext_lazy("files imported"),
    "import_tax_list": gettext_lazy("tax list imported"),
    "import": gettext_lazy("import"),
    "close": gettext_lazy("monthly close"),
    "backup": gettext_lazy("backup"),
    "restore": gettext_lazy("restore"),
    "issue_api_token": gettext_lazy("API token issued"),
    "revoke_api_token": gettext_lazy("API token revoked"),
    "confirm_unit_status": gettext_lazy("unit status confirmed"),
    "reject_unit_status": gettext_lazy("unit status rejected"),
    "otp_enrol": gettext_lazy("two-step login set up"),
    "otp_remove": gettext_lazy("two-step login removed"),
    "otp_failed": gettext_lazy("wrong two-step code"),
    "admin_add": gettext_lazy("added in the admin"),
    "admin_change": gettext_lazy("changed in the admin"),
    "admin_delete": gettext_lazy("deleted in the admin"),
    "form_working_group": gettext_lazy("working group formed"),
    "add_group_member": gettext_lazy("group member added"),
    "remove_group_member": gettext_lazy("group member removed"),
    "dissolve_working_group": gettext_lazy("working group dissolved"),
    "nominate_disclosure": gettext_lazy("proposed for public disclosure"),
    "delist_disclosure": gettext_lazy("removed from the public list"),
    "import_plans": gettext_lazy("plan imported"),
    "cascade_plan": gettext_lazy("plan cascaded"),
    "evaluate_plan": gettext_lazy("plan evaluated"),
    "add_lead": gettext_lazy("development lead added"),
    "track_lead": gettext_lazy("development lead tracked"),
    "set_lead_status": gettext_lazy("development lead status changed"),
    "save_filter": gettext_lazy("saved filter stored"),
    "delete_filter": gettext_lazy("saved filter deleted"),
    "job": gettext_lazy("scheduled job"),
}

FUND = {
    "SI_LT": gettext_lazy("SI pension and survivorship"),
    "SI_ST": gettext_lazy("SI sickness and maternity"),
    "OADI": gettext_lazy("occupational accidents and diseases"),
    "HI": gettext_lazy("health insurance"),
    "UI": gettext_lazy("unemployment insurance"),
    "SI": gettext_lazy("social insurance"),
}

REASON = {
    "broken_promise": gettext_lazy("promise broken"),
    "overdue_action": gettext_lazy("next action overdue"),
}

VIA = {  # how the bank matcher found a suspense candidate (exchange.bank.Matcher)
    "message": gettext_lazy("unit code in the message"),
    "account": gettext_lazy("known bank account"),
    "tax_code": gettext_lazy("tax code in the message"),
    "name": gettext_lazy("payer name"),
}

#: the field names of audit events' before/after/detail (``core.audit.record``'s keywords), as the audit page labels them
AUDIT_FIELD = {
    "closed_through": gettext_lazy("closed through"),
    "amounts": gettext_lazy("amounts posted"),
    "entries": gettext_lazy("entries"),
    "officer": gettext_lazy("officer"),
    "query": gettext_lazy("filter"),
    "name": gettext_lazy("name"),
    "status": gettext_lazy("status"),
    "confirmed_on": gettext_lazy("confirmed on"),
    "case": gettext_lazy("case"),
    "unit": gettext_lazy("unit"),
    "step": gettext_lazy("step"),
    "notice": gettext_lazy("notice number"),
    "id": gettext_lazy("number"),
    "kind": gettext_lazy("contact by"),
    "contacted_on": gettext_lazy("contacted on"),
    "contact_name": gettext_lazy("person contacted"),
    "outcome": gettext_lazy("outcome"),
    "note": gettext_lazy("note"),
    "promise_amount": gettext_lazy("amount promised"),
    "promise_date": gettext_lazy("promised by"),
    "promise_status": gettext_lazy("promise"),
    "promise_paid": gettext_lazy("paid against the promise"),
    "promise_checked_on": gettext_lazy("promise checked on"),
    "next_action": gettext_lazy("next action"),
    "next_action_on": gettext_lazy("next action due"),
    "action_closed_on": gettext_lazy("action done on"),
    "file": gettext_lazy("file"),
    "format": gettext_lazy("format"),
    "matched": gettext_lazy("matched"),
    "suspense": gettext_lazy("to suspense"),
    "reversals": gettext_lazy("reversals"),
    "already": gettext_lazy("already imported"),
    "duplicates": gettext_lazy("duplicates"),
    "entry": gettext_lazy("bank entry"),
    "amount": gettext_lazy("amount"),
    "payment": gettext_lazy("payment"),
    "payment_id": gettext_lazy("payment"),
    "paid_on": gettext_lazy("paid on"),
    "reverses": gettext_lazy("reverses payment"),
    "batch": gettext_lazy("import batch"),
    "declared_on": gettext_lazy("declared on"),
    "lines": gettext_lazy("lines"),
    "units": gettext_lazy("units"),
    "proposal": gettext_lazy("proposal"),
    "tax_status": gettext_lazy("tax status"),
    "status_date": gettext_lazy("status since"),
    "tax_list": gettext_lazy("tax list"),
    "reason": gettext_lazy("reason"),
    "persons": gettext_lazy("persons"),
    "national_ids": gettext_lazy("national IDs"),
    "created": gettext_lazy("created"),
    "ok": gettext_lazy("succeeded"),
    "result": gettext_lazy("result"),
    "seconds": gettext_lazy("seconds"),
}

#: the keys whose numbers are đồng
MONEY_FIELDS = frozenset({"amount", "amounts", "promise_amount", "promise_paid"})


def field_label(key: Any) -> str:
    """An audit field's label; an unknown key as it is, its underscores spaces (``debt_state_changes``
    → ``debt state changes``)."""
    found = AUDIT_FIELD.get(str(key))
    return str(found) if found is not None else str(key).replace("_", " ").strip()


OBJECT = {  # what an audit event is about (``AuditEvent.object_type``)
    "close": gettext_lazy("close of"),
    "case_step": gettext_lazy("case step"),
    "followup": gettext_lazy("contact"),
    "unit": gettext_lazy("unit"),
    "suspense_item": gettext_lazy("suspense item"),
    "import_batch": gettext_lazy("import batch"),
    "import": gettext_lazy("import"),
    "payment": gettext_lazy("payment"),
    "person_list": gettext_lazy("person list"),
    "saved_filter": gettext_lazy("saved filter"),
    "user": gettext_lazy("user"),
    "job": gettext_lazy("job"),
    "backup": gettext_lazy("backup"),
    "api_token": gettext_lazy("API token"),
}

#: a contact's outcome (``arrears.ContactOutcome``): its Vietnamese label, in the user's language by ``tr``
OUTCOME = {c.value: c.label for c in ContactOutcome}

TABLES = {"event": EVENT, "audit": AUDIT, "fund": FUND, "reason": REASON, "via": VIA, "object": OBJECT,
          "outcome": OUTCOME}


def label(code: Any, table: str) -> str:
    """The label of ``code`` in ``table`` (``event``, ``audit``, ``fund``, ``reason``), else the code."""
    if code in (None, ""):
        return ""
    found = TABLES.get(table, {}).get(str(code))
    if found is None:
        return str(code)
    return tr(found) if table == "outcome" else str(found)


def tr(text: Any) -> str:
    """A Vietnamese label of the data in the user's language (itself when the catalogue has no entry)."""
    return gettext(str(text)) if text not in (None, "") else ""


# The Vietnamese labels of the data, for the catalogues (``tr``); en translates them, vi keeps them.
DATA_LABELS = (
    # registry: unit status, ownership, sex
    gettext_noop("Đang hoạt động"), gettext_noop("Tạm dừng"), gettext_noop("Không tìm thấy"),
    gettext_noop("Đang giải thể"), gettext_noop("Đã giải thể"), gettext_noop("Phá sản"),
    gettext_noop("Nhà nước"), gettext_noop("Vốn đầu tư nước ngoài"), gettext_noop("Ngoài nhà nước"),
    gettext_noop("Hợp tác xã"), gettext_noop("Hành chính sự nghiệp"), gettext_noop("Hộ kinh doanh"),
    gettext_noop("Khác"), gettext_noop("Nam"), gettext_noop("Nữ"),
    # contributions: channels, ledger kinds, targets
    gettext_noop("Chuyển khoản ngân hàng"), gettext_noop("Nộp tại quầy"), gettext_noop("Đại lý thu"),
    gettext_noop("Phải đóng"), gettext_noop("Điều chỉnh"), gettext_noop("Lãi chậm đóng"), gettext_noop("Đã đóng"),
    gettext_noop("Số tiền thừa"), gettext_noop("Gốc"), gettext_noop("Lãi"),
    # C12-TS rows
    gettext_noop("A. Kỳ trước chuyển sang – số phải đóng"), gettext_noop("A. Kỳ trước chuyển sang – lãi chưa đóng"),
    gettext_noop("B. Phát sinh trong kỳ – phải đóng"), gettext_noop("B. Điều chỉnh kỳ trước"),
    gettext_noop("B. Lãi chậm đóng phát sinh"), gettext_noop("C. Đã đóng trong kỳ – gốc"),
    gettext_noop("C. Đã đóng trong kỳ – lãi"), gettext_noop("D. Chuyển kỳ sau – số phải đóng"),
    gettext_noop("D. Chuyển kỳ sau – lãi chưa đóng"),
    # aging bands and B03-TS classes
    gettext_noop("< 1 tháng"), gettext_noop("1 – < 3 tháng"), gettext_noop("3 – < 6 tháng"),
    gettext_noop("6 – < 12 tháng"), gettext_noop("≥ 12 tháng"), gettext_noop("Chậm đóng"), gettext_noop("Nợ đọng"),
    gettext_noop("Nợ kéo dài 3 – < 6 tháng"), gettext_noop("Nợ kéo dài 6 – < 12 tháng"),
    gettext_noop("Nợ kéo dài ≥ 12 tháng"), gettext_noop("Khó thu: đơn vị không tìm thấy"),
    gettext_noop("Khó thu: đang giải thể, phá sản"),
    # the default ladder, step kinds and statuses
    gettext_noop("Thông báo kết quả đóng, nhắc nợ"), gettext_noop("Thông báo chậm đóng"),
    gettext_noop("Văn bản đôn đốc (điều kiện xác định trốn đóng)"), gettext_noop("Mời hội nghị làm việc"),
    gettext_noop("Đoàn công tác liên ngành làm việc tại đơn vị"), gettext_noop("Chuyển thanh tra"),
    gettext_noop("Công khai đơn vị chậm đóng"), gettext_noop("Chuyển cơ quan công an (trốn đóng)"),
    gettext_noop("Văn bản"), gettext_noop("Công việc"), gettext_noop("Đề xuất"), gettext_noop("Đã duyệt"),
    gettext_noop("Hủy"),
    # arrears: visits, commitments, disclosure, the follow-up log
    gettext_noop("Cam kết đóng"), gettext_noop("Không hợp tác"), gettext_noop("Không tìm thấy đơn vị"),
    gettext_noop("Đang thực hiện"), gettext_noop("Đã thực hiện"), gettext_noop("Vi phạm cam kết"),
    gettext_noop("Đề xuất công khai"), gettext_noop("Đã duyệt công khai"), gettext_noop("Đã công khai"),
    gettext_noop("Loại khỏi danh sách"), gettext_noop("Gỡ khỏi danh sách (đã đóng)"),
    gettext_noop("Gọi điện"), gettext_noop("Đến làm việc"), gettext_noop("Gửi thư"), gettext_noop("Gửi e-mail"),
    gettext_noop("Đã liên hệ được"), gettext_noop("Hứa đóng"), gettext_noop("Không liên lạc được"),
    gettext_noop("Từ chối đóng"), gettext_noop("Sai thông tin liên hệ"), gettext_noop("Đang chờ"),
    gettext_noop("Đã giữ lời hứa"), gettext_noop("Thất hứa"),
    # notice delivery: channels and statuses
    gettext_noop("Bưu điện"), gettext_noop("Chờ gửi"), gettext_noop("Đã gửi"), gettext_noop("Gửi lỗi"),
    gettext_noop("Đã nhận"), gettext_noop("Bị trả lại"),
    # coverage: development leads; exchange: the tax list's statuses and proposals
    gettext_noop("Mới"), gettext_noop("Đã liên hệ"), gettext_noop("Đã tham gia"), gettext_noop("Từ chối"),
    gettext_noop("Thẻ BHYT sắp hết hạn"), gettext_noop("Dừng đóng BHXH tự nguyện"),
    gettext_noop("Hộ gia đình tham gia chưa đủ"), gettext_noop("Do cán bộ thêm"), gettext_noop("Chờ xác nhận"),
    gettext_noop("Đã xác nhận"), gettext_noop("Không chấp nhận"), gettext_noop("Thay bằng danh sách mới hơn"),
    gettext_noop("Tạm ngừng kinh doanh"), gettext_noop("Không hoạt động tại địa chỉ đăng ký"),
    gettext_noop("Đang làm thủ tục giải thể"), gettext_noop("Đang làm thủ tục phá sản"),
    gettext_noop("Đã giải thể / chấm dứt hiệu lực MST"), gettext_noop("Đã phá sản"),
)

EN_OF_DATA_LABELS = {
    "Đang hoạt động": "Active", "Tạm dừng": "Suspended", "Không tìm thấy": "Not found",
    "Đang giải thể": "Dissolving", "Đã giải thể": "Dissolved", "Phá sản": "Bankrupt",
    "Nhà nước": "State-owned", "Vốn đầu tư nước ngoài": "Foreign-invested", "Ngoài nhà nước": "Private",
    "Hợp tác xã": "Cooperative", "Hành chính sự nghiệp": "Public administration", "Hộ kinh doanh": "Household business",
    "Khác": "Other", "Nam": "Male", "Nữ": "Female",
    "Chuyển khoản ngân hàng": "Bank transfer", "Nộp tại quầy": "Paid at the counter", "Đại lý thu": "Collection agent",
    "Phải đóng": "Due", "Điều chỉnh": "Adjustment", "Lãi chậm đóng": "Late-payment interest", "Đã đóng": "Paid",
    "Số tiền thừa": "Credit", "Gốc": "Principal", "Lãi": "Interest",
    "A. Kỳ trước chuyển sang – số phải đóng": "A. Brought forward – principal due",
    "A. Kỳ trước chuyển sang – lãi chưa đóng": "A. Brought forward – unpaid interest",
    "B. Phát sinh trong kỳ – phải đóng": "B. Assessed this period",
    "B. Điều chỉnh kỳ trước": "B. Adjustments of earlier periods",
    "B. Lãi chậm đóng phát sinh": "B. Late-payment interest charged",
    "C. Đã đóng trong kỳ – gốc": "C. Paid this period – principal",
    "C. Đã đóng trong kỳ – lãi": "C. Paid this period – interest",
    "D. Chuyển kỳ sau – số phải đóng": "D. Carried forward – principal due",
    "D. Chuyển kỳ sau – lãi chưa đóng": "D. Carried forward – unpaid interest",
    "< 1 tháng": "< 1 month", "1 – < 3 tháng": "1 – < 3 months", "3 – < 6 tháng": "3 – < 6 months",
    "6 – < 12 tháng": "6 – < 12 months", "≥ 12 tháng": "≥ 12 months", "Chậm đóng": "Late",
    "Nợ đọng": "In arrears", "Nợ kéo dài 3 – < 6 tháng": "Prolonged 3 – < 6 months",
    "Nợ kéo dài 6 – < 12 tháng": "Prolonged 6 – < 12 months", "Nợ kéo dài ≥ 12 tháng": "Prolonged ≥ 12 months",
    "Khó thu: đơn vị không tìm thấy": "Hard to collect: unit not found",
    "Khó thu: đang giải thể, phá sản": "Hard to collect: dissolving or bankrupt",
    "Thông báo kết quả đóng, nhắc nợ": "Payment statement and reminder", "Thông báo chậm đóng": "Late-payment notice",
    "Văn bản đôn đốc (điều kiện xác định trốn đóng)": "Urging letter (evasion conditions)",
    "Mời hội nghị làm việc": "Invitation to a meeting",
    "Đoàn công tác liên ngành làm việc tại đơn vị": "Inter-agency working group at the unit",
    "Chuyển thanh tra": "Referred to inspection", "Công khai đơn vị chậm đóng": "Public disclosure of late payer",
    "Chuyển cơ quan công an (trốn đóng)": "Referred to the police (evasion)",
    "Văn bản": "Document", "Công việc": "Task", "Đề xuất": "Proposed", "Đã duyệt": "Confirmed", "Hủy": "Cancelled",
    "Cam kết đóng": "Committed to pay", "Không hợp tác": "Refused to cooperate", "Không tìm thấy đơn vị": "Unit not found",
    "Đang thực hiện": "Active", "Đã thực hiện": "Kept", "Vi phạm cam kết": "Broken",
    "Đề xuất công khai": "Proposed for disclosure", "Đã duyệt công khai": "Approved for disclosure",
    "Đã công khai": "Published", "Loại khỏi danh sách": "Dropped from the list",
    "Gỡ khỏi danh sách (đã đóng)": "Removed from the list (paid)",
    "Gọi điện": "Call", "Đến làm việc": "Visit", "Gửi thư": "Letter", "Gửi e-mail": "E-mail",
    "Đã liên hệ được": "Reached", "Hứa đóng": "Promised to pay", "Không liên lạc được": "No answer",
    "Từ chối đóng": "Refused to pay", "Sai thông tin liên hệ": "Wrong contact details", "Đang chờ": "Pending",
    "Đã giữ lời hứa": "Kept", "Thất hứa": "Broken",
    "Mới": "New", "Đã liên hệ": "Contacted", "Đã tham gia": "Enrolled", "Từ chối": "Refused",
    "Thẻ BHYT sắp hết hạn": "HI card ending soon", "Dừng đóng BHXH tự nguyện": "Voluntary SI lapsed",
    "Hộ gia đình tham gia chưa đủ": "Household partly covered", "Do cán bộ thêm": "Added by an officer",
    "Chờ xác nhận": "Waiting", "Đã xác nhận": "Confirmed", "Không chấp nhận": "Rejected",
    "Thay bằng danh sách mới hơn": "Superseded by a newer list", "Tạm ngừng kinh doanh": "Business suspended",
    "Không hoạt động tại địa chỉ đăng ký": "Not at the registered address", "Đang làm thủ tục giải thể": "Dissolving",
    "Đang làm thủ tục phá sản": "In bankruptcy", "Đã giải thể / chấm dứt hiệu lực MST": "Dissolved / tax code closed",
    "Đã phá sản": "Bankrupt",
}


SUSPENSE_PATTERNS = (
    (r"^no unit named like (?P<name>.+)$", gettext_lazy("no unit named like %(name)s")),
    (r"^ambiguous \((?P<what>.*)\)$", gettext_lazy("ambiguous (%(what)s)")),
    (r"^no unit code, known account, tax code or payer name$",
     gettext_lazy("no unit code, known account, tax code or payer name")),
    (r"^payer name (?P<name>.+) is not a clear match \(best (?P<best>\d+), next (?P<next>\d+)\)$",
     gettext_lazy("payer name %(name)s is not a clear match (best %(best)s, next %(next)s)")),
)


def suspense_reason(text: Any) -> str:
    """Why a bank payment waits in suspense (``exchange.bank`` writes it in English), in the user's language."""
    import re

    text = str(text or "")
    for pattern, words in SUSPENSE_PATTERNS:
        m = re.match(pattern, text)
        if m:
            return str(words) % m.groupdict() if m.groupdict() else str(words)
    return text
