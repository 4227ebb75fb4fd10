"""The default escalation ladder of issue 6 (editable rows; amounts are configuration, not law)."""
from django.db import migrations

#: code, name, kind, document title, min days, min months, min amount, amount-or-months, requires, wait days
LADDER = [
    ("NOTICE", "Thông báo kết quả đóng, nhắc nợ", "document", "THÔNG BÁO KẾT QUẢ ĐÓNG VÀ SỐ TIỀN CÒN NỢ",
     1, None, None, False, None, 0),
    ("LATE_NOTICE", "Thông báo chậm đóng", "document", "THÔNG BÁO CHẬM ĐÓNG BHXH, BHYT, BHTN",
     None, 1, None, False, "NOTICE", 0),
    ("URGING", "Văn bản đôn đốc (điều kiện xác định trốn đóng)", "document",
     "VĂN BẢN ĐÔN ĐỐC ĐÓNG BHXH, BHYT, BHTN", None, 2, None, False, "LATE_NOTICE", 15),
    ("CONFERENCE", "Mời hội nghị làm việc", "document", "GIẤY MỜI HỘI NGHỊ LÀM VIỆC VỀ NỢ BHXH, BHYT, BHTN",
     None, 3, None, False, "URGING", 15),
    ("WORKING_GROUP", "Đoàn công tác liên ngành làm việc tại đơn vị", "task", "",
     None, 6, 500_000_000, True, "URGING", 15),
    ("INSPECTION", "Chuyển thanh tra", "document", "VĂN BẢN ĐỀ NGHỊ THANH TRA, KIỂM TRA",
     None, 6, None, False, "WORKING_GROUP", 30),
    ("DISCLOSURE", "Công khai đơn vị chậm đóng", "task", "",
     None, 6, None, False, "INSPECTION", 30),
    ("POLICE", "Chuyển cơ quan công an (trốn đóng)", "document", "VĂN BẢN CHUYỂN HỒ SƠ ĐẾN CƠ QUAN CÔNG AN",
     None, 6, None, False, "DISCLOSURE", 30),
]


def seed(apps, schema_editor):
    LadderStep = apps.get_model("arrears", "LadderStep")
    made = {}
    for i, (code, name, kind, title, days, months, amount, either, requires, wait) in enumerate(LADDER, 1):
        made[code] = LadderStep.objects.create(
            code=code, order=i * 10, name=name, kind=kind, document_title=title, min_days_late=days,
            min_months_late=months, min_amount=amount, amount_or_months=either,
            requires=made[requires] if requires else None, wait_days=wait,
        )


def unseed(apps, schema_editor):
    LadderStep = apps.get_model("arrears", "LadderStep")
    for row in reversed(LADDER):  # each step protects the one it requires
        LadderStep.objects.filter(code=row[0]).delete()


class Migration(migrations.Migration):
    dependencies = [("arrears", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
