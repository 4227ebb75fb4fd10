"""The bucket and the B03-TS class of a debt by its age in whole months past its deadline
(``contributions.debts.months_late``).

Worked example: a debt due 31 Aug 2025 is, on 30 Sep 2025, 0 whole months late
(bucket "< 1 month", class I); on 30 Nov 2025, 2 whole months (bucket "1–< 3",
class II); on 1 Mar 2026, 6 months (III.2). The same debt of a unit whose status
is "missing" is class IV.1 whatever its age.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    min_months: int | None
    max_months: int | None
    statuses: tuple[str, ...] = ()

    def holds(self, months: int) -> bool:
        lo = self.min_months or 0
        return lo <= months and (self.max_months is None or months < self.max_months)


def bucket_of(months: int, buckets: list[Band]) -> str:
    for b in buckets:
        if b.holds(months):
            return b.code
    return ""


def class_of(months: int, unit_status: str, classes: list[Band]) -> str:
    for c in classes:
        if unit_status in c.statuses:
            return c.code
    for c in classes:
        if not c.statuses and c.min_months is not None and c.holds(months):
            return c.code
    return ""


DEFAULT_BUCKETS = [
    Band("lt1", "< 1 tháng", 0, 1),
    Band("1-3", "1 – < 3 tháng", 1, 3),
    Band("3-6", "3 – < 6 tháng", 3, 6),
    Band("6-12", "6 – < 12 tháng", 6, 12),
    Band("ge12", "≥ 12 tháng", 12, None),
]

DEFAULT_CLASSES = [
    Band("I", "Chậm đóng", 0, 1),
    Band("II", "Nợ đọng", 1, 3),
    Band("III.1", "Nợ kéo dài 3 – < 6 tháng", 3, 6),
    Band("III.2", "Nợ kéo dài 6 – < 12 tháng", 6, 12),
    Band("III.3", "Nợ kéo dài ≥ 12 tháng", 12, None),
    Band("IV.1", "Khó thu: đơn vị không tìm thấy", None, None, ("missing",)),
    Band("IV.2", "Khó thu: đang giải thể, phá sản", None, None, ("dissolving",)),
    Band("IV.3", "Khó thu: đã giải thể, phá sản", None, None, ("dissolved", "bankrupt")),
    Band("IV.4", "Khó thu: khác (tạm dừng hoạt động)", None, None, ("suspended",)),
]


def load_bands() -> tuple[list[Band], list[Band]]:
    from .models import AgingBucket, DebtClass

    buckets = [Band(b.code, b.label, b.min_months, b.max_months) for b in AgingBucket.objects.all()]
    classes = [
        Band(c.code, c.label, c.min_months, c.max_months, tuple(s.strip() for s in c.unit_statuses.split(",") if s.strip()))
        for c in DebtClass.objects.all()
    ]
    return buckets or DEFAULT_BUCKETS, classes or DEFAULT_CLASSES
