"""Aging buckets and B03-TS debt classes as configuration, and their history per unit."""
from __future__ import annotations

from django.db import models

from sicollect.registry.models import Office, Unit, UnitStatus


class AgingBucket(models.Model):
    """A range of whole months past the deadline: ``min_months`` ≤ age < ``max_months``."""

    code = models.CharField(max_length=20, unique=True)
    label = models.CharField(max_length=100)
    min_months = models.PositiveSmallIntegerField()
    max_months = models.PositiveSmallIntegerField(null=True, blank=True, help_text="empty: no upper bound")

    class Meta:
        ordering = ["min_months"]

    def __str__(self) -> str:
        return self.label


class DebtClass(models.Model):
    """A class of form B03-TS. Classes with ``unit_statuses`` take every debt of units in that
    status (class IV); the others are chosen by age in whole months."""

    code = models.CharField(max_length=10, unique=True)
    label = models.CharField(max_length=120)
    unit_statuses = models.CharField(
        max_length=100, blank=True,
        help_text="comma-separated unit statuses (" + ", ".join(UnitStatus.values) + ") that put a debt in this class",
    )
    min_months = models.PositiveSmallIntegerField(null=True, blank=True)
    max_months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "debt classes"

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class UnitDebtState(models.Model):
    """A unit's bucket and class from ``since`` on; a new row each time either changes."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="debt_states")
    since = models.DateField()
    bucket = models.CharField(max_length=20, blank=True)
    debt_class = models.CharField(max_length=10, blank=True)
    months_late = models.PositiveSmallIntegerField(default=0)
    late_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["unit_id", "since"]
        constraints = [models.UniqueConstraint(fields=["unit", "since"], name="debt_state_unique")]


class CloseLock(models.Model):
    """At most one close at a time: a close inserts the row and deletes it when done.

    The unique name makes a second insert fail at once, on every engine, so two
    closes can never write the same months.
    """

    name = models.CharField(max_length=20, unique=True, default="close")
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField(auto_now_add=True)


class MonthEndDebt(models.Model):
    """The late debt of a unit at the end of a closed month, written by the close.

    A closed month's figures never change (late data goes into the open month, posted after this
    day), so the KPI report reads these rows at closed month ends instead of the whole ledger.
    Units with late debt get a row each; ``outstanding`` of every other unit is summed into the
    office's row (``unit`` empty), so the report's totals stay exact for any office scope.
    """

    as_of = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outstanding = models.BigIntegerField()
    late = models.BigIntegerField(default=0)
    months_late = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["as_of", "office"], name="month_end_debt_day")]


class CloseState(models.Model):
    """Where the set-based close left off: its work tables at the end of ``month`` (the last month it
    closed), kept in the ``close_state_*`` tables below, so the next month's close starts from there
    instead of recomputing every month since the first.

    ``fingerprint`` is a SHA-256 of every input the close read for months up to ``month`` (the
    participation rows declared by then, the payments paid by then, the units they belong to, the
    rules in force; on SQLite, instead of the rows, the count of their changes that triggers keep,
    ``close.sql.engine.CHANGE_TRIGGERS``); ``ledger_max_id`` the last ledger row then. The next close
    resumes only when both still hold (close.sql.engine.resume_state); otherwise it recomputes from the first month, as a
    change to a closed month's data needs (its corrections go into the open month).
    """

    month = models.DateField(unique=True)
    seq = models.BigIntegerField()
    fingerprint = models.CharField(max_length=64)
    ledger_max_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # where the rows are: "database" (the ``close_state_*`` tables) or "file" (the DuckDB close's own file,
    # ``close.sql.duck.state_cache_path``; the tables are then empty, and another engine resuming from it
    # copies the file into them first: ``close.sql.engine.STATE_FILE_READERS``)
    kept_in = models.CharField(max_length=8, default="database")
    # random, new at every save: names this state in the DuckDB close's file (a restored database, a
    # rolled-back close or another database never match a file written for another save)
    token = models.CharField(max_length=32, default="", blank=True)


class CloseStateItem(models.Model):
    """An item still owed at the state's month end (ce_item: principal P or interest I)."""

    unit_id = models.BigIntegerField()
    fund = models.CharField(max_length=8)
    kind = models.CharField(max_length=1)
    month = models.DateField()
    late_from = models.DateField(null=True)
    seq = models.BigIntegerField()
    outstanding = models.BigIntegerField()
    acc_from = models.DateField(null=True)

    class Meta:
        db_table = "close_state_item"


class CloseStateCredit(models.Model):
    """A unit's credit at the state's month end (ce_credit)."""

    unit_id = models.BigIntegerField()
    amount = models.BigIntegerField()

    class Meta:
        db_table = "close_state_credit"


class CloseStateBase(models.Model):
    """The base in force per unit × month × fund and the month's first late-from date (ce_base)."""

    unit_id = models.BigIntegerField()
    month = models.DateField()
    fund = models.CharField(max_length=8)
    base = models.BigIntegerField()
    first_late = models.DateField(null=True)

    class Meta:
        db_table = "close_state_base"
        # the key of ce_base: a resumed close updates these rows in place (close.sql.engine, IN_PLACE);
        # month first, so that a month's new rows go to the end of the index, not into every page of it
        constraints = [models.UniqueConstraint(fields=["month", "unit_id", "fund"], name="close_state_base_key")]


class CloseStateFresh(models.Model):
    """Dues and adjustments not late yet at the state's month end (ce_fresh)."""

    unit_id = models.BigIntegerField()
    fund = models.CharField(max_length=8)
    month = models.DateField()
    late_from = models.DateField()
    amount = models.BigIntegerField()

    class Meta:
        db_table = "close_state_fresh"


class CloseStatePrev(models.Model):
    """The state month's assessment per unit × fund (ce_prev), carried to units that did not change."""

    unit_id = models.BigIntegerField()
    month = models.DateField()
    fund = models.CharField(max_length=8)
    base = models.BigIntegerField()
    headcount = models.BigIntegerField()
    rate = models.BigIntegerField()
    amount = models.BigIntegerField()

    class Meta:
        db_table = "close_state_prev"


class CloseStatePerson(models.Model):
    """A person's row in force at the state's month, per unit, when it has a wage (ce_pbase)."""

    unit_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    wage = models.BigIntegerField()
    si = models.BooleanField()
    hi = models.BooleanField()
    ui = models.BooleanField()
    oadi = models.BooleanField()

    class Meta:
        db_table = "close_state_person"
        # a resumed close replaces the rows of the persons that changed in place (close.sql.engine, IN_PLACE)
        indexes = [models.Index(fields=["unit_id", "person_id"], name="close_state_person_key")]


class CloseStateUnitSum(models.Model):
    """PostgreSQL: per unit and input table (``q``: its place in ``close.sql.engine.FINGERPRINT_QUERIES``), the
    count and the two checksum sums of the rows the state read (``close.sql.engine.row_checksums``). Summed
    over the units they are the state's fingerprint's sums, which is how the next close knows they are this
    state's; compared unit by unit with the same sums now they name the units whose closed months' data
    changed, and the close recomputes only those (``close.sql.engine.resume_state``). SQLite's triggers
    name the units instead: empty there."""

    q = models.SmallIntegerField()
    unit_id = models.BigIntegerField()
    n = models.BigIntegerField()
    s1 = models.BigIntegerField()
    s2 = models.BigIntegerField()

    class Meta:
        db_table = "close_state_unitsum"
        constraints = [models.UniqueConstraint(fields=["q", "unit_id"], name="close_state_unitsum_key")]
