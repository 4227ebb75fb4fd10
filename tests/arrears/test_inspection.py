"""The inspection ranking: each part of the risk score worked out by hand."""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.arrears.inspection import ranking

from .. import factories as f
from .test_cases import hi_unit, post

pytestmark = pytest.mark.django_db


def test_units_at_the_floor_long_late_rank_first_with_their_parts() -> None:
    a = f.unit("TA0001")
    for _ in range(2):  # HI only at the region I floor of 2025: 4.5 % × 4,960,000 = 223,200 a person-month
        f.participation(a, f.person(), "2025-01", None, 4_960_000, "HI")
    hi_unit("TB0002")  # 450,000 a month from Jul 2025
    c = f.unit("TC0003")  # paid up: not ranked
    f.participation(c, f.person(), "2025-10", None, 10_000_000, "HI")
    post("2025-10")
    first, second = ranking(date(2025, 10, 31))
    assert first.unit == "TA0001"
    # Jan–Jun due at each month end (before Jul 2025), Jul by 31 Aug, Aug by 30 Sep: 8 months late.
    assert first.figures == {"months_late": 9, "late_amount": 8 * 446_400, "late_3_months_earlier": 6 * 446_400,
                             "headcount": 2, "at_floor": 2, "headcount_6_months_earlier": 2}
    assert first.parts == {"months": 26.25, "amount": 0.18, "trend": 3.75, "floor": 15.0, "headcount": 0.0}
    assert first.score == 45.18
    # B: 2 months (5.83), 900,000 (0.05), all new since 31 Jul (15), wage above the floor, no drop.
    assert second.unit == "TB0002"
    assert second.parts == {"months": 5.83, "amount": 0.05, "trend": 15.0, "floor": 0.0, "headcount": 0.0}
    assert second.score == 20.88


def test_a_headcount_drop_counts() -> None:
    u = f.unit("TA0001")
    f.participation(u, f.person(), "2025-01", None, 10_000_000, "HI")
    f.participation(u, f.person(), "2025-01", "2025-06", 10_000_000, "HI")
    post("2025-10")
    (r,) = ranking(date(2025, 10, 31))
    assert (r.figures["headcount_6_months_earlier"], r.figures["headcount"], r.parts["headcount"]) == (2, 1, 5.0)
