"""Who must pay: offices, communes, units (employers), persons and their participation."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sicollect.core.fields import MonthField
from sicollect.core.months import Month
from sicollect.core.privacy import mask_id


class Office(models.Model):
    """An SI office: the province office (no parent) or a grassroots office under it."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    bank_account = models.CharField(max_length=40, blank=True)
    bank_bin = models.CharField(max_length=10, blank=True, help_text="NAPAS BIN of the office's bank (VietQR)")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_province(self) -> bool:
        return self.parent_id is None


class Commune(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="communes")
    population = models.PositiveIntegerField(null=True, blank=True)
    labour_force = models.PositiveIntegerField(null=True, blank=True, help_text="working-age labour force")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Ownership(models.TextChoices):
    STATE = "state", "Nhà nước"
    FDI = "fdi", "Vốn đầu tư nước ngoài"
    PRIVATE = "private", "Ngoài nhà nước"
    COOPERATIVE = "cooperative", "Hợp tác xã"
    PUBLIC = "public", "Hành chính sự nghiệp"
    HOUSEHOLD = "household", "Hộ kinh doanh"
    OTHER = "other", "Khác"


class UnitStatus(models.TextChoices):
    ACTIVE = "active", "Đang hoạt động"
    SUSPENDED = "suspended", "Tạm dừng"
    MISSING = "missing", "Không tìm thấy"
    DISSOLVING = "dissolving", "Đang giải thể"
    DISSOLVED = "dissolved", "Đã giải thể"
    BANKRUPT = "bankrupt", "Phá sản"


class PaymentCycle(models.IntegerChoices):
    """Months per payment cycle (Law 41/2024 Art. 34.4)."""

    MONTHLY = 1, "Hằng tháng"
    QUARTERLY = 3, "3 tháng"
    SEMIANNUAL = 6, "6 tháng"


class Unit(models.Model):
    """An employer (đơn vị sử dụng lao động)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=300)
    tax_code = models.CharField(max_length=20, blank=True, db_index=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="units")
    ownership = models.CharField(max_length=20, choices=Ownership.choices, default=Ownership.PRIVATE)
    status = models.CharField(max_length=20, choices=UnitStatus.choices, default=UnitStatus.ACTIVE)
    region = models.PositiveSmallIntegerField(choices=[(1, "I"), (2, "II"), (3, "III"), (4, "IV")])
    payment_cycle = models.PositiveSmallIntegerField(choices=PaymentCycle.choices, default=PaymentCycle.MONTHLY)
    registered_on = models.DateField()
    oadi_low_risk = models.BooleanField(default=False, help_text="approved reduced OADI rate")
    bank_account = models.CharField(max_length=40, blank=True, help_text="the account the unit pays from")
    # contacts for notices (arrears.delivery), checked by core.domain.email / vn_mobile at every door
    # db_default: rows written without them (COPY of the national demo, historical models in migration tests,
    # SQL of other tools) get '' rather than a NOT NULL error
    email = models.CharField(max_length=254, blank=True, default="", db_default="", help_text="e-mail for notices")
    phone = models.CharField(max_length=10, blank=True, default="", db_default="",
                             help_text="mobile for SMS and Zalo, 10 digits 0xxxxxxxxx")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_units",
        help_text="the collection officer in charge of the unit",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(region__gte=1, region__lte=4), name="unit_region_1_4"),
            models.CheckConstraint(condition=Q(payment_cycle__in=[1, 3, 6]), name="unit_cycle_1_3_6"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class Person(models.Model):
    si_code = models.CharField("SI number", max_length=20, unique=True)
    national_id = models.CharField(max_length=20, blank=True, db_index=True)
    full_name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    commune = models.ForeignKey(Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="persons")

    class Meta:
        ordering = ["si_code"]

    def __str__(self) -> str:
        return f"{self.si_code} {self.full_name}"

    @property
    def national_id_masked(self) -> str:
        return mask_id(self.national_id)


class Participation(models.Model):
    """A person insured through a unit from one month to another, at a contribution wage.

    Rows are declarations: a later declaration covering the same person, unit and
    month supersedes an earlier one (see ``contributions.assessment``). A row with
    ``declared_on`` set whose months lie before the month it was declared in changes
    past months: it produces adjustments, late from each month's own deadline when
    ``retro_interest`` is set, otherwise from the deadline of the declaring month.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="participations")
    from_month = MonthField()
    to_month = MonthField(null=True, blank=True, help_text="empty: still participating")
    wage = models.BigIntegerField(help_text="monthly contribution wage, đồng")
    si = models.BooleanField("SI (long- and short-term)", default=True)
    hi = models.BooleanField("HI", default=True)
    ui = models.BooleanField("UI", default=True)
    oadi = models.BooleanField("OADI", default=True)
    declared_on = models.DateField(null=True, blank=True, help_text="empty: declared in time")
    retro_interest = models.BooleanField(default=False)

    class Meta:
        ordering = ["unit_id", "person_id", "from_month"]
        indexes = [
            models.Index(fields=["unit", "from_month"]),
            models.Index(fields=["declared_on"], name="participation_declared_on"),  # the close's adjustments
            # the close: the persons whose row starts or ends with the month (its dues), the first month with data
            models.Index(fields=["from_month"], name="participation_from_month"),
            models.Index(fields=["to_month"], name="participation_to_month"),
        ]
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(
                fields=["person", "unit", "from_month"],
                condition=Q(declared_on__isnull=True),
                name="participation_key_in_time",
            ),
            models.UniqueConstraint(
                fields=["person", "unit", "from_month", "declared_on"],
                condition=Q(declared_on__isnull=False),
                name="participation_key_declared",
            ),
            models.CheckConstraint(condition=Q(wage__gte=0), name="participation_wage_nonnegative"),
            models.CheckConstraint(
                condition=Q(to_month__isnull=True) | Q(to_month__gte=models.F("from_month")),
                name="participation_months_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.unit_id} {self.from_month}…{self.to_month or ''}"

    @property
    def funds_text(self) -> str:
        return "+".join(f for f, on in (("SI", self.si), ("HI", self.hi), ("UI", self.ui), ("OADI", self.oadi)) if on)

    def covers(self, month: Month) -> bool:
        return self.from_month <= month and (self.to_month is None or month <= self.to_month)
