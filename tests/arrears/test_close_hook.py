"""The monthly close ends with the arrears step: cases synced and next steps proposed, in its transaction."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears.models import Case, CaseStep
from sicollect.close import service
from sicollect.contributions.models import ClosedMonth
from sicollect.close.sql import close_engine
from sicollect.core.months import Month

from .test_cases import hi_unit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("engine", [service.reference_engine, close_engine], ids=["reference", "sql"])
def test_the_close_opens_cases_and_proposes_steps(engine: service.Engine) -> None:
    hi_unit()
    summary = service.close(Month(2025, 9), engine=engine)
    case = Case.objects.get()
    assert (case.as_of, case.late_amount, case.days_late) == (date(2025, 9, 30), 450_000, 30)
    assert summary.arrears["cases"]["opened"] == 1
    assert summary.arrears["proposals"]["by_step"] == {"NOTICE": 1}
    assert ClosedMonth.objects.get(month=Month(2025, 9)).summary["arrears"]["cases"]["open_cases"] == 1
    service.close(Month(2025, 10), engine=engine)
    case.refresh_from_db()
    assert (case.late_amount, case.months_late) == (900_000, 2)
    assert list(CaseStep.objects.values_list("step__code", "status")) == [("NOTICE", "proposed")]


def test_a_failure_after_the_arrears_step_leaves_no_case_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    from sicollect.arrears import cases

    hi_unit()
    real = cases.after_close

    def then_fail(as_of: date, owed: object = None) -> dict[str, object]:
        real(as_of, owed)  # type: ignore[arg-type]
        assert Case.objects.count() == 1
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases, "after_close", then_fail)
    with pytest.raises(RuntimeError):
        service.close(Month(2025, 9), engine=close_engine)
    assert not Case.objects.exists() and not CaseStep.objects.exists() and not ClosedMonth.objects.exists()
