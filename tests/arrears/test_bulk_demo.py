"""The bulk run on the small demo province (200 units, 2024-01 … 2025-12 closed), twice: the second
run adds no step, no notice, no audit row, and writes the same register; the arrears pages and
the API stay within a fixed number of queries whatever the number of cases."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from openpyxl import load_workbook

from sicollect.api.models import ApiToken
from sicollect.arrears.bulk import run
from sicollect.arrears.models import Case, CaseStep, Notice
from sicollect.core.models import AuditEvent
from sicollect.registry.models import Office
from sicollect.staff.models import Role, StaffProfile

from ..tools import missing_tool

AS_OF = date(2025, 12, 31)


def _weasyprint_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401  (loads pango)
    except (ImportError, OSError) as e:
        return f"WeasyPrint cannot load ({e})"
    return None


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", scale="small", seed=1, verbosity=0, stdout=StringIO())
        admin = User.objects.create_superuser("admin", password="x")
        office = Office.objects.filter(parent__isnull=False, units__arrears_cases__isnull=False).order_by("code").first()
        manager = User.objects.create_user("mgr", password="x")
        StaffProfile.objects.create(user=manager, office=office, role=Role.GRASSROOTS_MANAGER)
        yield {"admin": admin, "manager": manager, "office": office}
        transaction.set_rollback(True)


def register_rows(folder: Path) -> list[tuple[Any, ...]]:
    (path,) = folder.glob("so-dang-ky-*.xlsx")
    return list(load_workbook(BytesIO(path.read_bytes())).active.iter_rows(values_only=True))


@pytest.mark.django_db
@pytest.mark.skipif(_weasyprint_missing() is not None, reason=missing_tool(_weasyprint_missing()) or "")
def test_a_rerun_of_the_bulk_run_adds_no_document(demo: dict[str, Any], tmp_path: Path) -> None:
    open_cases = Case.objects.filter(closed_on__isnull=True).count()
    assert open_cases > 10  # the close opened the cases and proposed the next rung for each
    # the demo sent the September notices (its campaign on 30 Sep): those cases climb to LATE_NOTICE
    noticed = Case.objects.filter(closed_on__isnull=True, steps__step__code="NOTICE",
                                  steps__status="confirmed").distinct().count()
    assert 10 < noticed < open_cases
    audit_before = AuditEvent.objects.count()  # the demo's close wrote its own row
    notices_before = Notice.objects.count()  # the demo's September notices
    assert notices_before >= noticed
    first = run(AS_OF, "can.bo.thu", tmp_path / "1", progress=False)
    assert first.confirmed == first.notices_issued == open_cases and first.skipped == 0
    assert first.by_step == {"NOTICE": open_cases - noticed, "LATE_NOTICE": noticed}
    assert first.notices_in_files == open_cases and len(first.files) == 1 + len(
        {c.unit.office_id for c in Case.objects.filter(closed_on__isnull=True).select_related("unit")})
    counts = (CaseStep.objects.count(), Notice.objects.count(), AuditEvent.objects.count())
    assert counts[1] - notices_before == open_cases and counts[2] - audit_before == open_cases  # one audit row per step
    second = run(AS_OF, "can.bo.thu", tmp_path / "2", progress=False)
    assert (second.proposed, second.confirmed, second.notices_issued) == (0, 0, 0)
    assert (CaseStep.objects.count(), Notice.objects.count(), AuditEvent.objects.count()) == counts
    assert second.by_step == first.by_step
    assert register_rows(tmp_path / "2") == register_rows(tmp_path / "1")
    assert len(register_rows(tmp_path / "1")) == open_cases + 1  # a header line
    assert "NOTICE" in first.text() and f"notices {notices_before + open_cases}" in second.text()


def client_of(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_arrears_worklist_queries_are_bounded(demo: dict[str, Any], who: str,
                                              django_assert_max_num_queries: Any) -> None:
    c = client_of(demo[who])
    with django_assert_max_num_queries(14):
        page = c.get("/arrears/").content.decode()
    assert 'id="cases-table"' in page
    with django_assert_max_num_queries(14):
        assert c.get("/arrears/?proposed=any&min_months=1").status_code == 200


@pytest.mark.django_db
def test_case_page_queries_are_bounded(demo: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    case = Case.objects.filter(unit__office=demo["office"]).select_related("unit").order_by("-late_amount").first()
    c = client_of(demo["manager"])
    with django_assert_max_num_queries(20):
        page = c.get(f"/arrears/cases/{case.unit.code}/").content.decode()
    assert case.unit.name in page and 'id="case-history"' in page


@pytest.mark.django_db
def test_api_case_list_queries_are_bounded(demo: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    _row, token = ApiToken.issue(demo["admin"])
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    # 8 for the token, the scope and the page of cases, 2 for the rate limit's count in the shared
    # database cache (api.api: several server processes share it)
    with django_assert_max_num_queries(10):
        body = c.get("/api/arrears/cases?limit=100").json()
    assert body["count"] == Case.objects.filter(closed_on__isnull=True).count()
