"""What came in through files, and what the office decided about it.

Every file an import reads is an :class:`ImportBatch` (its SHA-256 is unique per
kind, so the same file twice is caught). What a file produced keeps a link to
its batch: declaration lines to the participation rows they became, bank
entries to the payments they became or the suspense item an officer settles,
tax-list rows to the proposals they raised. Decisions (assigning a payment,
confirming a unit's status) are actions that write an audit row (``core.audit.record``).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from sicollect.contributions.models import Payment
from sicollect.registry.models import Participation, Unit, UnitStatus


class BatchKind(models.TextChoices):
    DECLARATION = "declaration", "Tờ khai D02-LT"
    BANK = "bank", "Sao kê ngân hàng"
    TAX = "tax", "Danh sách doanh nghiệp (thuế)"


class ImportBatch(models.Model):
    """One file, read once. ``sha256`` of its bytes is unique per kind."""

    kind = models.CharField(max_length=20, choices=BatchKind.choices)
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=300)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="import_batches")
    declared_on = models.DateField(null=True, blank=True, help_text="declarations: the day they were made")
    actor = models.CharField(max_length=150, blank=True, help_text="who imported it")
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "sha256"], name="import_batch_file_once")]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.file_name}"


# --------------------------------------------------------------------------- declarations


class DeclarationLine(models.Model):
    """One line of an imported D02-LT file and the participation row it became."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="declaration_lines")
    line = models.PositiveIntegerField()
    action = models.CharField(max_length=4)
    participation = models.OneToOneField(Participation, on_delete=models.PROTECT, related_name="declaration_line")

    class Meta:
        ordering = ["batch_id", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="declaration_line_once")]


# --------------------------------------------------------------------------- bank statements


class Direction(models.TextChoices):
    CREDIT = "credit", "Ghi có"
    DEBIT = "debit", "Ghi nợ"


class EntryState(models.TextChoices):
    MATCHED = "matched", "Đã khớp"
    SUSPENSE = "suspense", "Chờ xử lý"
    ASSIGNED = "assigned", "Đã gán"
    REVERSAL = "reversal", "Hoàn trả / đảo"
    DISMISSED = "dismissed", "Bỏ qua"


class BankEntry(models.Model):
    """One entry of a bank statement (camt.053 ``Ntry``, MT940 ``:61:``, a CSV row).

    ``(statement_id, entry_id)`` is the bank's identity of the entry: importing a
    statement again finds every entry already here and writes nothing.
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="bank_entries")
    statement_id = models.CharField(max_length=80)
    entry_id = models.CharField(max_length=80)
    account = models.CharField(max_length=40, blank=True, help_text="the SI office's account")
    booked_on = models.DateField()
    value_on = models.DateField(null=True, blank=True)
    amount = models.BigIntegerField(help_text="đồng, positive; the direction says which way")
    direction = models.CharField(max_length=6, choices=Direction.choices)
    is_reversal = models.BooleanField(default=False, help_text="the bank marks it as reversing an earlier entry")
    message = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=120, blank=True, help_text="end-to-end / customer reference")
    counterparty_name = models.CharField(max_length=300, blank=True)
    counterparty_account = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=10, choices=EntryState.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entries")
    matched_by = models.CharField(max_length=20, blank=True, help_text="message, account, tax_code, name, officer")
    confidence = models.PositiveSmallIntegerField(default=0, help_text="0–100")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entry")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booked_on", "id"]
        verbose_name_plural = "bank entries"
        constraints = [
            models.UniqueConstraint(fields=["statement_id", "entry_id"], name="bank_entry_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_entry_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.entry_id} {self.direction} {self.amount}"

    # The payment an entry becomes is named ``payment_id_of(statement_id, entry_id)``; ``payment_id`` on an
    # entry is the column of its ``payment`` (the row id), never that name.


def payment_id_of(statement_id: str, entry_id: str) -> str:
    """``Payment.payment_id`` of a bank entry: statement id + entry id (hashed if too long)."""
    text = f"{statement_id}/{entry_id}"
    if len(text) <= 64:
        return text
    import hashlib

    return text[:40] + "#" + hashlib.sha256(text.encode()).hexdigest()[:23]


class SuspenseStatus(models.TextChoices):
    OPEN = "open", "Chờ xử lý"
    ASSIGNED = "assigned", "Đã gán đơn vị"
    DISMISSED = "dismissed", "Bỏ qua"


class SuspenseItem(models.Model):
    """A bank entry no rule could place with confidence: an officer settles it."""

    entry = models.OneToOneField(BankEntry, on_delete=models.PROTECT, related_name="suspense")
    reason = models.CharField(max_length=300)
    candidates = models.JSONField(default=list, blank=True, help_text="[{unit, score, via}] best first")
    status = models.CharField(max_length=10, choices=SuspenseStatus.choices, default=SuspenseStatus.OPEN)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="suspense_items")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="suspense")
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"suspense #{self.pk} {self.status} {self.entry}"


class PaymentReversal(models.Model):
    """Money of a recorded payment that went back (a bank reversal or refund).

    The ledger is append-only and ``Payment.amount`` must stay positive, so a
    reversal is its own record pointing at the payment it undoes. The
    contributions calculator does not read these yet (see ``exchange/bank.py``):
    until it does, :func:`sicollect.exchange.bank.unposted_reversals` lists them.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="reversals")
    entry = models.OneToOneField(BankEntry, on_delete=models.PROTECT, related_name="reversal")
    reversed_on = models.DateField()
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reversed_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_reversal_amount_positive")]

    def __str__(self) -> str:
        return f"reversal of {self.payment.payment_id}: {self.amount} on {self.reversed_on}"


# --------------------------------------------------------------------------- tax registry


class TaxStatus(models.TextChoices):
    ACTIVE = "active", "Đang hoạt động"
    SUSPENDED = "suspended", "Tạm ngừng kinh doanh"
    MISSING = "missing", "Không hoạt động tại địa chỉ đăng ký"
    DISSOLVING = "dissolving", "Đang làm thủ tục giải thể"
    BANKRUPTCY = "bankruptcy", "Đang làm thủ tục phá sản"
    DISSOLVED = "dissolved", "Đã giải thể / chấm dứt hiệu lực MST"
    BANKRUPT = "bankrupt", "Đã phá sản"


#: The unit status a tax status proposes (B03-TS class IV follows from the unit status).
UNIT_STATUS_OF_TAX: dict[str, str] = {
    TaxStatus.ACTIVE: UnitStatus.ACTIVE,
    TaxStatus.SUSPENDED: UnitStatus.SUSPENDED,
    TaxStatus.MISSING: UnitStatus.MISSING,
    TaxStatus.DISSOLVING: UnitStatus.DISSOLVING,
    TaxStatus.BANKRUPTCY: UnitStatus.DISSOLVING,
    TaxStatus.DISSOLVED: UnitStatus.DISSOLVED,
    TaxStatus.BANKRUPT: UnitStatus.BANKRUPT,
}


class TaxEnterprise(models.Model):
    """One enterprise of a tax authority list, as that list had it."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="tax_enterprises")
    line = models.PositiveIntegerField()
    tax_code = models.CharField(max_length=20)
    name = models.CharField(max_length=300)
    address = models.CharField(max_length=300, blank=True)
    commune_code = models.CharField(max_length=20, blank=True)
    industry = models.CharField(max_length=20, blank=True, help_text="VSIC code")
    status = models.CharField(max_length=12, choices=TaxStatus.choices)
    status_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "tax_code"], name="tax_enterprise_once_per_list")]
        indexes = [models.Index(fields=["tax_code"])]


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Chờ xác nhận"
    CONFIRMED = "confirmed", "Đã xác nhận"
    REJECTED = "rejected", "Không chấp nhận"
    SUPERSEDED = "superseded", "Thay bằng danh sách mới hơn"


class UnitStatusProposal(models.Model):
    """A change of a unit's status the tax list suggests, until an officer confirms or rejects it."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="status_proposals")
    enterprise = models.ForeignKey(TaxEnterprise, on_delete=models.PROTECT, related_name="proposals")
    from_status = models.CharField(max_length=20, choices=UnitStatus.choices)
    to_status = models.CharField(max_length=20, choices=UnitStatus.choices)
    tax_status = models.CharField(max_length=12, choices=TaxStatus.choices)
    status_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # at most one open proposal per unit: a newer list replaces the old one's
            models.UniqueConstraint(fields=["unit"], condition=Q(status="open"), name="one_open_proposal_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code}: {self.from_status} → {self.to_status} ({self.status})"
