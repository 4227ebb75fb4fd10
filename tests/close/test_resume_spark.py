"""The close on Spark starts from the state the last close saved and saves its own for the next.

SQL through August 2025, Spark through September (from SQL's state: September only), SQL through October
(from Spark's state): the ledger of the SQL close alone, key by key. Runs where test_close_spark runs
(the PostgreSQL pass, or SICOLLECT_SPARK_TESTS=1), with its session.
"""
from __future__ import annotations

from datetime import date

import pytest

from sicollect.close.models import CloseState
from sicollect.close.sql import close_engine
from sicollect.close.sql.spark import spark_close_engine
from sicollect.core.months import Month

from .test_resume_duckdb import closes_by
from .test_spark import build_units, spark  # noqa: F401 (a fixture)
from .test_close_sql import assert_same

MONTHS = [Month(2025, 8), Month(2025, 9), Month(2025, 10)]


@pytest.mark.django_db
def test_spark_resumes_from_the_sql_state_and_the_sql_close_from_sparks(spark) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    build_units()
    resumed, want, sql_state = closes_by([close_engine] * 3, MONTHS, rollback=True)
    assert resumed == ["", "2025-08", "2025-09"]
    resumed, have, state = closes_by([close_engine, spark_close_engine, close_engine], MONTHS)
    assert resumed == ["", "2025-08", "2025-09"]
    assert_same(have, want)
    assert state == sql_state  # the state SQL saved from Spark's, as SQL alone leaves it
    assert CloseState.objects.get().month == date(2025, 10, 1)
    assert len(state[0]) > 5  # items still owed
