"""update_rows: many rows, each with its own values, in one UPDATE … FROM (core/bulk.py)."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears.models import Case
from sicollect.core.bulk import update_rows

from .. import factories as f


@pytest.mark.django_db
def test_each_row_gets_its_own_values_and_the_others_are_untouched() -> None:
    office = f.office()
    units = [f.unit(f"TB{i:04d}", office=office) for i in range(3)]
    cases = [Case.objects.create(unit=u, opened_on=date(2025, 1, 31), as_of=date(2025, 1, 31), late_amount=100 * i)
             for i, u in enumerate(units)]
    a, b, untouched = cases
    a.late_amount, a.debt_class, a.as_of = 4_050, "II", date(2025, 2, 28)
    b.late_amount, b.closed_on, b.close_reason = 0, date(2025, 2, 28), "paid"
    assert update_rows(Case, [a, b], ["late_amount", "debt_class", "as_of", "closed_on", "close_reason"]) == 2
    got = {c.unit.code: (c.late_amount, c.debt_class, c.as_of, c.closed_on, c.close_reason)
           for c in Case.objects.select_related("unit")}
    assert got == {
        "TB0000": (4_050, "II", date(2025, 2, 28), None, ""),
        "TB0001": (0, "", date(2025, 1, 31), date(2025, 2, 28), "paid"),
        "TB0002": (200, "", date(2025, 1, 31), None, ""),
    }
    assert update_rows(Case, [], ["late_amount"]) == 0
    untouched.refresh_from_db()
    assert untouched.late_amount == 200
