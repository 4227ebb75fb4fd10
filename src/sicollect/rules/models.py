"""Effective-dated rules. Each row holds from ``valid_from`` until the next row of its kind.

Values ship from ``defaults.py`` (RULES.md) in a data migration; officers correct
them in the admin without a release.
"""
from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q

from sicollect.core.fields import MonthField
from sicollect.core.months import Month

from .funds import FUND_CHOICES


class Party(models.TextChoices):
    EMPLOYER = "employer", "Người sử dụng lao động"
    EMPLOYEE = "employee", "Người lao động"


class RateVariant(models.TextChoices):
    STANDARD = "standard", "Thông thường"
    LOW_RISK = "low_risk", "Ngành nghề rủi ro thấp (OADI giảm)"


class ContributionRate(models.Model):
    fund = models.CharField(max_length=8, choices=FUND_CHOICES)
    party = models.CharField(max_length=10, choices=Party.choices)
    variant = models.CharField(max_length=10, choices=RateVariant.choices, default=RateVariant.STANDARD)
    valid_from = MonthField(help_text="first contribution month this rate applies to")
    rate_ppm = models.PositiveIntegerField(help_text="parts per million: 14% = 140000")
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["fund", "party", "variant", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "party", "variant", "valid_from"], name="rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} {self.party} {self.variant} from {self.valid_from}: {self.rate_ppm} ppm"


class RegionalMinimumWage(models.Model):
    region = models.PositiveSmallIntegerField(choices=[(1, "I"), (2, "II"), (3, "III"), (4, "IV")])
    valid_from = models.DateField()
    amount = models.BigIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["region", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "valid_from"], name="rmw_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="rmw_positive"),
        ]

    def __str__(self) -> str:
        return f"region {self.region} from {self.valid_from}: {self.amount}"


class BaseSalary(models.Model):
    """Mức lương cơ sở: the reference for the SI/HI cap and household HI."""

    valid_from = models.DateField(unique=True)
    amount = models.BigIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["valid_from"]
        verbose_name_plural = "base salaries"

    def __str__(self) -> str:
        return f"from {self.valid_from}: {self.amount}"


class CapBasis(models.TextChoices):
    BASE_SALARY = "base_salary", "× lương cơ sở"
    REGIONAL_MINIMUM = "regional_minimum", "× lương tối thiểu vùng"


class WageCap(models.Model):
    """The highest contribution wage for a fund: ``multiple`` × a reference wage."""

    fund = models.CharField(max_length=8, choices=FUND_CHOICES)
    valid_from = MonthField()
    multiple = models.PositiveSmallIntegerField(default=20)
    basis = models.CharField(max_length=20, choices=CapBasis.choices)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["fund", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["fund", "valid_from"], name="cap_unique")]

    def __str__(self) -> str:
        return f"{self.fund} from {self.valid_from}: {self.multiple} {self.basis}"


class DeadlineRule(models.Model):
    """Deadline = last day of the month ``months_after`` months after the cycle's last month.

    Monthly payers: 0 before Jul 2025 (end of the same month, QĐ 595), 1 from
    Jul 2025 (end of the next month, Law 41/2024 Art. 34.4). Cycles of 3 and 6
    months follow calendar quarters and halves.
    """

    cycle = models.PositiveSmallIntegerField(choices=[(1, "monthly"), (3, "3-monthly"), (6, "6-monthly")])
    valid_from = MonthField(help_text="first contribution month this rule applies to")
    months_after = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cycle", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["cycle", "valid_from"], name="deadline_unique")]

    def __str__(self) -> str:
        return f"cycle {self.cycle} from {self.valid_from}: +{self.months_after}"


class InterestKind(models.TextChoices):
    DAILY = "daily", "Theo ngày (Luật 41/2024)"
    MONTHLY = "monthly", "Theo tháng (Luật 58/2014, QĐ 595)"


class InterestRegime(models.Model):
    """Late-payment interest in force from ``valid_from`` (a calendar day).

    ``daily``: ``rate_ppm`` per day on the late principal outstanding at the end
    of each day. ``monthly``: ``rate_ppm`` per month on the principal outstanding
    at month end that is at least ``min_days_late`` days past its deadline.
    """

    valid_from = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=InterestKind.choices)
    rate_ppm = models.PositiveIntegerField()
    min_days_late = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.valid_from}: {self.rate_ppm} ppm"


def first_day_in_force() -> date | None:
    """The first day on which a contribution rate, a deadline rule and an interest regime are all in force
    (None when no rule is stored): the earliest date the doors accept (``core.domain.rules_start``)."""
    from django.db.models import Min

    firsts = [m.objects.aggregate(first=Min("valid_from"))["first"]
              for m in (ContributionRate, DeadlineRule, InterestRegime)]
    known = [d.first_day if isinstance(d, Month) else d for d in firsts if d is not None]
    return max(known) if known else None
