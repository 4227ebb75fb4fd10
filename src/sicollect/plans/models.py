"""Annual plan indicators assigned to an office (by Vietnam Social Security, or cascaded)."""
from __future__ import annotations

from django.db import models

from sicollect.registry.models import Office


class Indicator(models.TextChoices):
    REVENUE = "revenue", "Tổng số thu (đồng)"
    RECEIVABLE = "receivable", "Tổng số phải thu (đồng)"
    DEBT_RATIO_CEILING_BP = "debt_ratio_ceiling_bp", "Tỷ lệ nợ tối đa (phần vạn)"
    SI_COMPULSORY = "si_compulsory", "Người tham gia BHXH bắt buộc"
    SI_VOLUNTARY = "si_voluntary", "Người tham gia BHXH tự nguyện"
    UI = "ui", "Người tham gia BHTN"
    HI = "hi", "Người tham gia BHYT"
    OADI = "oadi", "Người tham gia TNLĐ-BNN"
    POPULATION = "population", "Dân số"
    LABOUR_FORCE = "labour_force", "Lực lượng lao động trong độ tuổi"


class PlanTarget(models.Model):
    year = models.PositiveSmallIntegerField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="plan_targets")
    indicator = models.CharField(max_length=30, choices=Indicator.choices)
    value = models.BigIntegerField()

    class Meta:
        ordering = ["year", "office_id", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["year", "office", "indicator"], name="plan_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.office_id} {self.indicator} = {self.value}"
