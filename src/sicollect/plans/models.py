"""Annual plan indicators assigned to an office (by Vietnam Social Security, or cascaded)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

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


#: Indicators that are a ceiling or ratio, copied to children rather than split (no sum check).
RATIO_INDICATORS = frozenset({Indicator.DEBT_RATIO_CEILING_BP.value})
#: Participant counts: a stock at a date (a year-end target), not a flow over a period.
STOCK_INDICATORS = frozenset({"si_compulsory", "si_voluntary", "ui", "hi", "oadi", "population", "labour_force"})


class Level(models.TextChoices):
    PROVINCE = "province", "Tỉnh"
    OFFICE = "office", "BHXH cơ sở"
    POINT = "point", "Điểm thu"
    OFFICER = "officer", "Cán bộ thu"


class Assignment(models.Model):
    """An annual target below a grassroots office: for one of its collection points
    (``coverage.CollectionAgent``: commune collection points, post offices) or one of its collection
    officers (a user whose ``StaffProfile`` names the office). Each split of an office (by point, by
    officer) covers the whole office, so the points' targets sum to the office's, and so do the officers'.
    """

    year = models.PositiveSmallIntegerField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="plan_assignments")
    agent = models.ForeignKey("coverage.CollectionAgent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="plan_assignments")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="plan_assignments")
    indicator = models.CharField(max_length=30, choices=Indicator.choices)
    value = models.BigIntegerField()

    class Meta:
        ordering = ["year", "office_id", "indicator", "agent_id", "officer_id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(agent__isnull=False) & Q(officer__isnull=True))
                | (Q(agent__isnull=True) & Q(officer__isnull=False)),
                name="plan_assignment_one_child"),
            models.UniqueConstraint(fields=["year", "agent", "indicator"], condition=Q(agent__isnull=False),
                                    name="plan_assignment_point_key"),
            models.UniqueConstraint(fields=["year", "officer", "indicator"], condition=Q(officer__isnull=False),
                                    name="plan_assignment_officer_key"),
        ]

    @property
    def level(self) -> str:
        return Level.POINT if self.agent_id else Level.OFFICER


class PeriodKind(models.TextChoices):
    MONTH = "month", "Tháng"
    QUARTER = "quarter", "Quý"


class Evaluation(models.Model):
    """A monthly or quarterly evaluation: the progress figures of one level as they stood when it was
    made (frozen JSON, one row per office, point or officer with its rank), a comment and who made it."""

    kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period = models.CharField(max_length=7, help_text="2025-09 or 2025-Q3")
    level = models.CharField(max_length=10, choices=Level.choices)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="the office whose children are evaluated; empty: the province")
    as_of = models.DateField()
    figures = models.JSONField()
    comment = models.TextField(blank=True)
    made_by = models.CharField(max_length=150)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "level", "id"]

    def __str__(self) -> str:
        return f"{self.period} {self.level} {self.office_id or ''}"
