"""Figures of the KPI report kept by the close for each closed month end (``reports.summary``).

A closed month's figures are final (docs/domain.md, "Figures of closed months"): the KPI report, the
dashboard and the ranking read these rows at closed month ends instead of every payment and every
unit's debt. Each row sums rows that still exist, so every figure traces to them (the payments of the
month, ``close.MonthEndDebt``).
"""
from __future__ import annotations

from django.db import models

from sicollect.registry.models import Office


class SummaryDay(models.Model):
    """A closed month end whose figures are kept; ``payments_through``: the highest payment id then."""

    as_of = models.DateField(unique=True)
    payments_through = models.BigIntegerField(default=0)


class OfficeRevenue(models.Model):
    """Money received in the month ending ``as_of`` from the units of ``office`` (Σ payments.amount by
    ``paid_on``; the unit's office at the close)."""

    as_of = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    received = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["as_of", "office"], name="office_revenue_day")]


class OfficeDebt(models.Model):
    """The units' debts at ``as_of`` (``close.MonthEndDebt``) grouped by office, unit status and months late:
    ``units`` with late debt, their ``outstanding`` and ``late`` sums (the outstanding of units without late
    debt in the row with status "" and 0 months). ``scope``: ``own`` — the office's units; ``tree`` — a top
    office's and every office's under it; ``all`` — every unit (``office`` empty): the same sums, so a
    report of the whole reads a few dozen rows, not every office's."""

    as_of = models.DateField()
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=4, default="own")
    status = models.CharField(max_length=20, blank=True)
    months_late = models.IntegerField()
    units = models.IntegerField()
    outstanding = models.BigIntegerField()
    late = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["as_of", "scope", "office"], name="office_debt_day")]
