"""Arrears enforcement: cases, the escalation ladder (data), steps, notices, working groups,
installment commitments, public disclosure.

Every state change goes through a ``do_…``/service function that writes a :class:`CaseEvent`
(the case's history); nothing else writes these tables.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sicollect.registry.models import Office, Unit


class StepKind(models.TextChoices):
    DOCUMENT = "document", "Văn bản"
    TASK = "task", "Công việc"


class LadderStep(models.Model):
    """One rung of the escalation ladder, editable in the admin.

    A step is due for a case when every condition that is set holds:

    * ``min_days_late`` / ``min_months_late``: the age of the oldest late amount;
      with ``min_amount`` also set, ``amount_or_months`` says whether either suffices
      ("≥ 6 months or ≥ 500,000,000") or both are needed;
    * ``debt_classes``: the case's B03-TS class starts with one of them (blank: any);
    * ``requires``: that step is confirmed on the case, at least ``wait_days`` ago.
    """

    code = models.CharField(max_length=30, unique=True)
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.DOCUMENT)
    document_title = models.CharField(max_length=200, blank=True, help_text="title printed on the document")
    min_days_late = models.PositiveIntegerField(null=True, blank=True)
    min_months_late = models.PositiveSmallIntegerField(null=True, blank=True)
    min_amount = models.BigIntegerField(null=True, blank=True, help_text="late amount, đồng")
    amount_or_months = models.BooleanField(default=False, help_text="months OR amount suffices (else both)")
    debt_classes = models.CharField(max_length=100, blank=True, help_text="comma-separated class prefixes")
    requires = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    wait_days = models.PositiveIntegerField(default=0, help_text="days after the required step")
    payment_days = models.PositiveSmallIntegerField(default=15, help_text="deadline printed on the document")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class Case(models.Model):
    """A unit's arrears case: open while the unit has interest-bearing debt below class IV."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="arrears_cases")
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, blank=True)  # paid | class_iv
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="arrears_cases")
    # the debt at the last sync (from the SQL aggregate of the ledger)
    as_of = models.DateField()
    late_amount = models.BigIntegerField(default=0)
    outstanding = models.BigIntegerField(default=0)
    months_late = models.PositiveSmallIntegerField(default=0)
    days_late = models.PositiveIntegerField(default=0)
    debt_class = models.CharField(max_length=10, blank=True)
    max_late_amount = models.BigIntegerField(default=0)
    escalate_from = models.DateField(null=True, blank=True,
                                     help_text="a broken commitment: waiting periods end on this day")

    class Meta:
        ordering = ["unit_id", "opened_on"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(closed_on__isnull=True), name="one_open_case_per_unit"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} {self.unit_id} {self.opened_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class StepStatus(models.TextChoices):
    PROPOSED = "proposed", "Đề xuất"
    CONFIRMED = "confirmed", "Đã duyệt"
    CANCELLED = "cancelled", "Hủy"


class CaseStep(models.Model):
    """A ladder step on a case: proposed by :func:`arrears.ladder.propose`, confirmed by an officer."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    step = models.ForeignKey(LadderStep, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PROPOSED)
    proposed_on = models.DateField()
    confirmed_on = models.DateField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=150, blank=True)
    late_amount = models.BigIntegerField(default=0)
    months_late = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=40, blank=True,
                              help_text="what pushed the proposal: broken_promise, overdue_action")

    class Meta:
        ordering = ["case_id", "step__order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], condition=~Q(status="cancelled"), name="one_live_step_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.step.code} {self.status}"


class CaseEvent(models.Model):
    """The history of a case: every opening, step, note, outcome and closing, in order."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    on = models.DateField()
    kind = models.CharField(max_length=30)
    actor = models.CharField(max_length=150, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "on", "id"]


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.CharField(max_length=150)
    text = models.TextField()
    attachment = models.FileField(upload_to="arrears/attachments/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "created_at", "id"]


class Notice(models.Model):
    """A document produced by a confirmed step, with the figures it shows frozen at issue."""

    case_step = models.OneToOneField(CaseStep, on_delete=models.PROTECT, related_name="notice")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="arrears_notices")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="arrears_notices")
    number = models.CharField(max_length=40, unique=True)
    issued_on = models.DateField()
    period = models.CharField(max_length=7)  # YYYY-MM the figures are of
    pay_by = models.DateField()
    figures = models.JSONField(default=dict)
    total = models.BigIntegerField()
    transfer_message = models.CharField(max_length=25)
    qr_payload = models.TextField(blank=True)

    class Meta:
        ordering = ["office_id", "unit_id", "issued_on", "id"]
        indexes = [models.Index(fields=["issued_on"], name="notice_issued_on")]


class WorkingGroup(models.Model):
    """An interdisciplinary working group (đoàn liên ngành), chaired by SI."""

    name = models.CharField(max_length=200)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="working_groups")
    chair = models.CharField(max_length=200)
    agencies = models.JSONField(default=list, help_text="member agencies, e.g. Sở Nội vụ, Công an tỉnh")
    formed_on = models.DateField()
    dissolved_on = models.DateField(null=True, blank=True)
    units = models.ManyToManyField(Unit, blank=True, related_name="working_groups")

    class Meta:
        ordering = ["office_id", "formed_on", "id"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    PAID = "paid", "Đã đóng"
    COMMITTED = "committed", "Cam kết đóng"
    REFUSED = "refused", "Không hợp tác"
    NOT_FOUND = "not_found", "Không tìm thấy đơn vị"


class Visit(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.PROTECT, related_name="visits")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="visits")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    planned_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    minutes = models.TextField(blank=True)
    proposed_status = models.CharField(max_length=20, blank=True, help_text="unit status proposed by the outcome")

    class Meta:
        ordering = ["planned_on", "id"]


class CommitmentStatus(models.TextChoices):
    ACTIVE = "active", "Đang thực hiện"
    KEPT = "kept", "Đã thực hiện"
    BROKEN = "broken", "Vi phạm cam kết"


class Commitment(models.Model):
    """An installment commitment: the unit pays ``amount`` by ``due_on`` for each line."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="commitments")
    signed_on = models.DateField()
    status = models.CharField(max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.ACTIVE)
    ended_on = models.DateField(null=True, blank=True)
    schedule = models.JSONField(default=list, help_text='[{"due_on": "2025-11-30", "amount": 450000}, …]')

    class Meta:
        ordering = ["case_id", "signed_on", "id"]


class DisclosureStatus(models.TextChoices):
    CANDIDATE = "candidate", "Đề xuất công khai"
    APPROVED = "approved", "Đã duyệt công khai"
    PUBLISHED = "published", "Đã công khai"
    DROPPED = "dropped", "Loại khỏi danh sách"
    REMOVED = "removed", "Gỡ khỏi danh sách (đã đóng)"


class Disclosure(models.Model):
    """A unit on (or proposed for) the public list of late payers. Published only after approval."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="disclosures")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disclosures")
    status = models.CharField(max_length=10, choices=DisclosureStatus.choices, default=DisclosureStatus.CANDIDATE)
    proposed_on = models.DateField()
    months_late = models.PositiveSmallIntegerField()
    late_amount = models.BigIntegerField()
    approved_by = models.CharField(max_length=150, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    removed_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-late_amount", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=["candidate", "approved", "published"]),
                                    name="one_live_disclosure_per_case"),
        ]


class ContactKind(models.TextChoices):
    CALL = "call", "Gọi điện"
    VISIT = "visit", "Đến làm việc"
    LETTER = "letter", "Gửi thư"
    EMAIL = "email", "Gửi e-mail"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Đã liên hệ được"
    PROMISED = "promised", "Hứa đóng"
    NO_ANSWER = "no_answer", "Không liên lạc được"
    REFUSED = "refused", "Từ chối đóng"
    WRONG_CONTACT = "wrong_contact", "Sai thông tin liên hệ"


class PromiseStatus(models.TextChoices):
    NONE = "", "—"
    PENDING = "pending", "Đang chờ"
    KEPT = "kept", "Đã giữ lời hứa"
    BROKEN = "broken", "Thất hứa"


class FollowUp(models.Model):
    """One contact with a unit about its debt (the follow-up log): a call, visit, letter or e-mail,
    who was reached, the outcome, a note; optionally a promise to pay (amount by a date) and the next
    action with its date. Written only by :func:`arrears.followups.do_log_followup` (audited); the
    promise is marked kept or broken by :func:`arrears.followups.check_promises` after the close."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="followups")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="followups")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    contacted_on = models.DateField()
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="followups")
    actor = models.CharField(max_length=150, help_text="the officer who made the contact")
    contact_name = models.CharField(max_length=200, blank=True, help_text="who was reached at the unit")
    outcome = models.CharField(max_length=15, choices=ContactOutcome.choices)
    note = models.TextField(blank=True)
    promise_amount = models.BigIntegerField(null=True, blank=True, help_text="đồng")
    promise_date = models.DateField(null=True, blank=True)
    promise_status = models.CharField(max_length=10, choices=PromiseStatus.choices, blank=True, default="")
    promise_paid = models.BigIntegerField(null=True, blank=True, help_text="paid from the contact to the date")
    promise_checked_on = models.DateField(null=True, blank=True)
    next_action = models.CharField(max_length=200, blank=True)
    next_action_on = models.DateField(null=True, blank=True)
    action_closed_on = models.DateField(null=True, blank=True,
                                        help_text="a later contact with the unit closes this one's next action")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "contacted_on", "id"]
        indexes = [
            models.Index(fields=["unit", "contacted_on"], name="followup_unit_day"),
            models.Index(fields=["promise_status", "promise_date"], name="followup_promise"),
            models.Index(fields=["next_action_on"], name="followup_next_action"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(promise_amount__isnull=True) | Q(promise_amount__gt=0),
                                   name="followup_promise_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.contacted_on} {self.kind} {self.outcome}"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    ZALO = "zalo", "Zalo ZNS"
    POST = "post", "Bưu điện"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Chờ gửi"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi lỗi"
    DELIVERED = "delivered", "Đã nhận"
    BOUNCED = "bounced", "Bị trả lại"


class NoticeDelivery(models.Model):
    """One sending of a notice on one channel: an e-mail with the PDF (``sent`` or ``failed``), a row
    of an SMS or Zalo ZNS outbox file (``queued`` until the provider's delivery report says
    ``sent``/``delivered``/``failed``), a letter by post. Written only by :mod:`arrears.delivery`
    (audited, and a :class:`CaseEvent` on the case). ``address`` is the e-mail or the 10-digit mobile
    it went to; pages, exports and logs show it masked (``address_masked``)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    at = models.DateTimeField(help_text="when the status was last set")
    detail = models.CharField(max_length=500, blank=True, help_text="the outbox file, the provider's answer")
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice_id", "channel", "id"]
        indexes = [models.Index(fields=["notice", "channel"], name="delivery_notice_channel")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.channel} {self.status}"

    @property
    def address_masked(self) -> str:
        from sicollect.core.privacy import mask_contact

        return mask_contact(self.address)


class WorkingGroupMember(models.Model):
    """A person on a working group: their name, the partner agency they come from, their position.
    Added and removed by :func:`arrears.groups.do_add_member` / ``do_remove_member`` (audited)."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(max_length=200)
    agency = models.CharField(max_length=200)
    position = models.CharField(max_length=200, blank=True)
    added_on = models.DateField()

    class Meta:
        ordering = ["group_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"
