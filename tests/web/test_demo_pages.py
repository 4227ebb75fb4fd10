"""The pages on the small demo province (200 units, two years closed): bounded queries, and the office
ranking (four queries for the province) equal, office by office, to the KPI report of each office."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from sicollect.contributions.debts import Scope, unit_debts
from sicollect.core.months import Month
from sicollect.registry.models import Office, Unit
from sicollect.reports.kpi import kpi, ranking
from sicollect.staff.models import Role, StaffProfile
from sicollect.web.dashboard import late_debt_on_days

AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """``sicollect demo --scale small --seed 1`` once for the module, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", scale="small", seed=1, verbosity=0)
        admin = User.objects.create_superuser("admin", password="x")
        office = Office.objects.filter(parent__isnull=False).order_by("code").first()
        manager = User.objects.create_user("mgr", password="x")
        StaffProfile.objects.create(user=manager, office=office, role=Role.GRASSROOTS_MANAGER)
        yield {"admin": admin, "manager": manager, "office": office}
        transaction.set_rollback(True)


def client_of(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_the_ranking_equals_each_offices_kpi_report(demo: dict[str, Any]) -> None:
    for day in (date(2025, 9, 30), AS_OF):
        rows = ranking(day)
        offices = Office.objects.filter(parent__isnull=False)
        assert sorted(r["office"] for r in rows) == sorted(offices.values_list("code", flat=True))
        for r in rows:
            report = kpi(day, offices.get(code=r["office"]))
            assert (r["interest_bearing_pct_of_plan"], r["pct_of_plan"]) == (
                report["debt"]["interest_bearing_pct_of_plan"], report["revenue"]["pct_of_plan"])
        assert [r["rank_debt"] for r in rows] == list(range(1, len(rows) + 1))
        debt = [r["interest_bearing_pct_of_plan"] for r in rows]
        assert debt == sorted(debt) and any(debt)
        by_plan = sorted(rows, key=lambda r: r["rank_plan"])
        assert [r["pct_of_plan"] for r in by_plan] == sorted((r["pct_of_plan"] for r in rows), reverse=True)


@pytest.mark.django_db
def test_late_debt_of_the_trend_in_one_scan_equals_the_reports_per_day(demo: dict[str, Any]) -> None:
    days = [Month(2025, m).last_day for m in range(1, 13)] + [date(2025, 9, 15)]
    for scope in (Scope(None), Scope(demo["office"])):
        expected = [sum(d.late for d in unit_debts(scope, day) if d.late > 0) for day in days]
        assert late_debt_on_days(scope, days) == expected
        assert expected[-2] > 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_dashboard_queries_are_bounded(demo: dict[str, Any], who: str, django_assert_max_num_queries: Any) -> None:
    c = client_of(demo[who])
    # 50: the KPI report asks for its scope per figure, constant in units (47 for the province, 49 for an
    # office on both databases); the data's fingerprint is one query (data_fingerprint), where it was six
    with django_assert_max_num_queries(50):
        assert c.get("/").status_code == 200


@pytest.mark.django_db
def test_the_dashboards_fingerprint_is_one_query_and_sees_each_kind_of_change(
        demo: dict[str, Any], django_assert_num_queries: Any) -> None:
    """``data_fingerprint``: one query (``core.cache.table_fingerprint``); a unit's status, a plan's value,
    a payment and a new closed month each change it, and putting them back gives the first one again."""
    from sicollect.contributions.models import ClosedMonth
    from sicollect.plans.models import PlanTarget
    from sicollect.registry.models import UnitStatus
    from sicollect.web.dashboard import data_fingerprint

    with django_assert_num_queries(1):
        first = data_fingerprint()
    unit = Unit.objects.filter(status=UnitStatus.ACTIVE).order_by("code").first()
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.SUSPENDED)
    assert data_fingerprint() != first
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.ACTIVE)
    assert data_fingerprint() == first
    target = PlanTarget.objects.order_by("id").first()
    PlanTarget.objects.filter(pk=target.pk).update(value=target.value + 1)
    assert data_fingerprint() != first
    PlanTarget.objects.filter(pk=target.pk).update(value=target.value)
    assert data_fingerprint() == first
    payment = unit.payments.create(payment_id="FP-1", paid_on=AS_OF, amount=1_000)
    assert data_fingerprint() != first
    payment.delete()
    closed = ClosedMonth.objects.create(month=Month(2031, 1))
    assert data_fingerprint() != first
    closed.delete()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_worklist_queries_are_bounded(demo: dict[str, Any], who: str, django_assert_max_num_queries: Any) -> None:
    c = client_of(demo[who])
    # 18: the user's saved filters are one query (issue 20); the payment, contact, step and promise columns
    # cost none (subqueries of the one query over the units, arrears.workplace.with_facts); the interest owed
    # is one grouped query, kept in the database cache for closed days (a read, and a write when missing)
    with django_assert_max_num_queries(18):
        page = c.get("/worklist/").content.decode()
    assert "31/12/2025" in page and 'id="worklist-table"' in page
    with django_assert_max_num_queries(18):
        assert c.get("/worklist/?sort=months&min_months=1&class=II").status_code == 200


@pytest.mark.django_db
def test_unit_page_queries_are_bounded(demo: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    unit = Unit.objects.filter(office=demo["office"], participations__isnull=False).order_by("code").first()
    c = client_of(demo["manager"])
    # 21: the page includes the unit's follow-up log (one query)
    with django_assert_max_num_queries(21):
        page = c.get(f"/units/{unit.code}/").content.decode()
    assert unit.name in page and 'id="statement-table"' in page
    with django_assert_max_num_queries(21):
        assert c.get(f"/units/{unit.code}/?month=2024-06").status_code == 200


@pytest.mark.django_db
def test_a_manager_sees_only_their_office_on_the_demo(demo: dict[str, Any]) -> None:
    c = client_of(demo["manager"])
    other = Unit.objects.exclude(office=demo["office"]).order_by("code").first()
    assert c.get(f"/units/{other.code}/").status_code == 404
    assert f">{other.code}<" not in c.get("/worklist/").content.decode()
