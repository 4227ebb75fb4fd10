"""Payments and the append-only ledger.

The ledger is the record of what each unit owed and paid, per month and fund.
Rows are never updated or deleted (guarded here and, on the database, by
triggers): a correction is a new row whose amount is the difference. Balances
are sums of rows, never stored.
"""
from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q

from sicollect.core.fields import MonthField
from sicollect.core.months import Month
from sicollect.registry.models import Office, Unit
from sicollect.rules.funds import FUND_CHOICES


class Channel(models.TextChoices):
    BANK = "bank", "Chuyển khoản ngân hàng"
    COUNTER = "counter", "Nộp tại quầy"
    AGENT = "agent", "Đại lý thu"


class Payment(models.Model):
    payment_id = models.CharField(max_length=64,
                                  help_text="the bank's or counter's own id (unique per office)")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="payments")
    # the unit's office when the payment was recorded: payment ids are unique per office, not province-wide
    # (two offices' counters or banks may issue the same id, and one office must not learn of another's)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(help_text="the day the money reached the SI account")
    amount = models.BigIntegerField()
    reference = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.BANK)
    source = models.CharField(max_length=300, blank=True, help_text="file or request it came from")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "paid_on", "payment_id"]
        indexes = [
            models.Index(fields=["unit", "paid_on"]),
            models.Index(fields=["paid_on"], name="payment_paid_on"),  # the close takes a day's payments
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["office", "payment_id"], name="payment_id_per_office"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.office_id is None and self.unit_id is not None:  # a writer that did not say: the unit's office
            self.office_id = Unit.objects.values_list("office_id", flat=True).get(pk=self.unit_id)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.payment_id} {self.unit_id} {self.paid_on} {self.amount}"


class EntryKind(models.TextChoices):
    DUE = "due", "Phải đóng"
    ADJUSTMENT = "adjustment", "Điều chỉnh"
    INTEREST = "interest", "Lãi chậm đóng"
    PAYMENT = "payment", "Đã đóng"
    CREDIT = "credit", "Số tiền thừa"


class Target(models.TextChoices):
    PRINCIPAL = "principal", "Gốc"
    INTEREST = "interest", "Lãi"
    NONE = "", "—"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("the ledger is append-only: post a correcting entry instead")

    def delete(self) -> NoReturn:
        raise PermissionError("the ledger is append-only: post a correcting entry instead")


class LedgerEntry(models.Model):
    """One movement of a unit's account.

    ``amount`` is signed by its effect on what the unit owes: dues, adjustments
    and interest are positive, payments negative. ``credit`` rows track money
    held for the unit and not yet applied (positive: received, negative: used).

    ``month`` is the contribution month for principal rows and for payments of
    principal, and the charge period for interest rows and payments of interest.
    """

    # no index of its own: the (unit, period) index below serves every lookup by unit, and one index
    # fewer is one less to maintain for each of the millions of rows a close appends
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ledger", db_index=False)
    period = MonthField(help_text="statement month the entry belongs to")
    posted_on = models.DateField(help_text="effective date")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    fund = models.CharField(max_length=8, choices=FUND_CHOICES, blank=True)
    target = models.CharField(max_length=10, choices=Target.choices, blank=True)
    month = MonthField(null=True, blank=True)
    late_from = models.DateField(null=True, blank=True, help_text="first day interest may run")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    source = models.CharField(max_length=40, blank=True, help_text="declaration date, 'credit', …")
    amount = models.BigIntegerField()
    detail = models.JSONField(default=dict, blank=True)
    is_correction = models.BooleanField(default=False)
    for_period = MonthField(
        null=True, blank=True,
        help_text="set on corrections of closed months, posted in the open month: the last closed month then",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "period", "posted_on", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["unit", "period"]),
            models.Index(fields=["period", "kind"]),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("the ledger is append-only: post a correcting entry instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("the ledger is append-only: post a correcting entry instead")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.kind} {self.fund} {self.month or ''} {self.amount}"


class ClosedMonth(models.Model):
    """A month whose ledger is final: later data for it goes into the open month.

    Written by the close (``close.service``) when it commits; read by the ledger's writers, which never
    write a closed month again (``contributions.posting``)."""

    month = MonthField(unique=True)
    closed_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "close_closedmonth"  # its table since the first release (the model moved here from close)
        ordering = ["month"]

    def __str__(self) -> str:
        return str(self.month)

    @classmethod
    def last(cls) -> Month | None:
        """The last month closed, or None before the first close."""
        row = cls.objects.order_by("-month").first()
        return row.month if row else None
