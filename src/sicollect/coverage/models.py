"""Voluntary SI, household HI, collection agents: who is covered outside employers, and the rules.

Rules are effective-dated rows like those of the ``rules`` app (RULES.md §8), loaded by migration
and editable in the admin; amounts are computed in ``coverage.calc``.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sicollect.core.fields import MonthField
from sicollect.registry.models import Commune, Office, Person


class SupportCategory(models.TextChoices):
    POOR = "poor", "Hộ nghèo"
    NEAR_POOR = "near_poor", "Hộ cận nghèo"
    ETHNIC_MINORITY = "ethnic_minority", "Dân tộc thiểu số"
    OTHER = "other", "Đối tượng khác"


class VoluntaryRule(models.Model):
    """Voluntary SI: rate of the chosen income, its floor (the rural poverty line) and ceiling."""

    valid_from = models.DateField(unique=True)
    rate_ppm = models.IntegerField(help_text="220000 = 22 %")
    min_income = models.BigIntegerField(help_text="the rural poverty line")
    max_base_multiple = models.IntegerField(help_text="ceiling = this × base salary")
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"from {self.valid_from}: {self.rate_ppm} ppm of {self.min_income}…{self.max_base_multiple}× base"


class VoluntarySupport(models.Model):
    """State support per category, a share of the contribution on the poverty-line income."""

    valid_from = models.DateField()
    category = models.CharField(max_length=20, choices=SupportCategory.choices)
    share_ppm = models.IntegerField(help_text="500000 = 50 %")
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["category", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["category", "valid_from"], name="voluntary_support_key")]

    def __str__(self) -> str:
        return f"{self.category} from {self.valid_from}: {self.share_ppm} ppm"


class HouseholdRule(models.Model):
    """Household HI: rate of the base salary for the first member, then shares of that amount."""

    valid_from = models.DateField(unique=True)
    rate_ppm = models.IntegerField(help_text="45000 = 4.5 % of the base salary")
    second_ppm = models.IntegerField(help_text="2nd member, share of the 1st's amount")
    third_ppm = models.IntegerField()
    fourth_ppm = models.IntegerField()
    fifth_on_ppm = models.IntegerField(help_text="5th member and later")
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"from {self.valid_from}: {self.rate_ppm} ppm"


class PaymentMode(models.IntegerChoices):
    MONTHLY = 1, "Hằng tháng"
    QUARTERLY = 3, "3 tháng"
    HALF_YEARLY = 6, "6 tháng"
    YEARLY = 12, "12 tháng"


class VoluntaryEnrolment(models.Model):
    """A person in voluntary SI from a month (to a month), at a chosen income and payment mode."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="voluntary")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    income = models.BigIntegerField()
    mode = models.IntegerField(choices=PaymentMode.choices, default=PaymentMode.MONTHLY)
    category = models.CharField(max_length=20, choices=SupportCategory.choices, default=SupportCategory.OTHER)
    from_month = MonthField()
    to_month = MonthField(null=True, blank=True)

    class Meta:
        ordering = ["person_id", "from_month"]
        constraints = [
            models.CheckConstraint(condition=Q(income__gt=0), name="voluntary_income_positive"),
            models.UniqueConstraint(fields=["person", "from_month"], name="voluntary_key"),
        ]


class HIGroup(models.TextChoices):
    HOUSEHOLD = "household", "Hộ gia đình (tự đóng)"
    BUDGET = "budget", "Ngân sách nhà nước đóng"
    SUPPORTED = "supported", "Ngân sách hỗ trợ một phần"
    SI_FUND = "si_fund", "Quỹ BHXH đóng (hưu trí)"


class Household(models.Model):
    code = models.CharField(max_length=20, unique=True)
    head_name = models.CharField(max_length=200)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="households")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.head_name}"


class HouseholdMember(models.Model):
    """A person on a household's HI list: ``order`` counts the members paying together (1st, 2nd …);
    members of budget-paid or supported groups are covered but do not take an order."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="household_hi")
    group = models.CharField(max_length=12, choices=HIGroup.choices, default=HIGroup.HOUSEHOLD)
    support_ppm = models.IntegerField(default=0, help_text="supported groups: the budget's share")
    from_month = MonthField()
    to_month = MonthField(null=True, blank=True)
    card_valid_from = models.DateField(null=True, blank=True)
    card_valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["household_id", "from_month", "id"]


class AgentKind(models.TextChoices):
    COMMUNE_POINT = "commune_point", "Điểm thu xã, phường"
    POST_OFFICE = "post_office", "Bưu điện"


class CollectionAgent(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AgentKind.choices)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="agents")
    commune = models.ForeignKey(Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    commission_ppm = models.IntegerField(help_text="share of what it collects")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Product(models.TextChoices):
    IS = "IS", "BHXH tự nguyện"
    BI = "BI", "BHYT hộ gia đình"
    AR = "AR", "BHYT hộ gia đình (nông, lâm, ngư nghiệp)"


class AgentReceipt(models.Model):
    """Money an agent took from a person, for months of a product; remitted to the office later."""

    agent = models.ForeignKey(CollectionAgent, on_delete=models.PROTECT, related_name="receipts")
    receipt_no = models.CharField(max_length=30)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=2, choices=Product.choices)
    received_on = models.DateField()
    from_month = MonthField()
    months = models.IntegerField()
    amount = models.BigIntegerField()
    remitted_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["agent_id", "received_on", "receipt_no"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "receipt_no"], name="agent_receipt_key"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(months__gt=0), name="agent_receipt_positive"),
        ]


class SpecialGroup(models.TextChoices):
    MILITIA = "militia", "Dân quân thường trực"
    VILLAGE_OFFICIAL = "village_official", "Người hoạt động không chuyên trách ở thôn, tổ dân phố"
    COMMUNE_OFFICIAL = "commune_official", "Người hoạt động không chuyên trách cấp xã"
    OTHER = "other", "Nhóm khác"


class SpecialGroupMember(models.Model):
    """A person on a list a commune prepared for a special group (e.g. permanent militia members, who
    must have HI and may join voluntary SI). Matched to the registry by national ID; the participation
    status is read from the registry at a date, not stored."""

    group = models.CharField(max_length=20, choices=SpecialGroup.choices)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="special_members")
    national_id = models.CharField(max_length=20)
    full_name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    listed_on = models.DateField(help_text="when the commune prepared the list")

    class Meta:
        ordering = ["group", "commune_id", "national_id"]
        constraints = [models.UniqueConstraint(fields=["group", "commune", "national_id"], name="special_member_key")]

    def __str__(self) -> str:
        return f"{self.group} {self.commune_id} {self.full_name}"


class LeadKind(models.TextChoices):
    HI_EXPIRING = "hi_expiring", "Thẻ BHYT sắp hết hạn"
    VOLUNTARY_LAPSED = "voluntary_lapsed", "Dừng đóng BHXH tự nguyện"
    HOUSEHOLD_PARTIAL = "household_partial", "Hộ gia đình tham gia chưa đủ"
    MANUAL = "manual", "Do cán bộ thêm"


class LeadStatus(models.TextChoices):
    NEW = "new", "Mới"
    CONTACTED = "contacted", "Đã liên hệ"
    ENROLLED = "enrolled", "Đã tham gia"
    REFUSED = "refused", "Từ chối"


class Lead(models.Model):
    """A development lead someone works on: one found by ``coverage.leads.leads`` (kept from the first
    change of its status) or one an officer adds by hand. Its status moves as
    ``coverage.leads.TRANSITIONS`` allows; every change writes an audit row."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(CollectionAgent, null=True, blank=True, on_delete=models.PROTECT, related_name="leads")
    kind = models.CharField(max_length=20, choices=LeadKind.choices)
    si_code = models.CharField(max_length=20, blank=True)
    full_name = models.CharField(max_length=200)
    detail = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["point_id", "kind", "si_code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "si_code"], condition=~Q(si_code=""), name="lead_kind_person"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.si_code or self.full_name} ({self.status})"


class CoverageCount(models.Model):
    """Persons covered at the end of a closed month, by scheme, counted by the close
    (``coverage.counts.close_step``) the way :func:`sicollect.coverage.counts.query_counts` counts them.

    ``scope``: ``own`` — the office's own units, enrolments and household lists (``counts_by("office")``);
    ``tree`` — a top office (no parent) and every office under it, each person once; ``all`` — every
    office, each person once (``office`` empty). A closed month's figures are final (docs/domain.md, "Figures of closed months"): the KPI report, the dashboard and the
    plans read these rows at closed month ends instead of counting every participation again.
    """

    as_of = models.DateField()
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=4)
    si_compulsory = models.IntegerField()
    si_voluntary = models.IntegerField()
    si_total = models.IntegerField()
    ui = models.IntegerField()
    hi = models.IntegerField()
    oadi = models.IntegerField()
    persons = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["as_of", "scope", "office"], name="coverage_count_day")]
