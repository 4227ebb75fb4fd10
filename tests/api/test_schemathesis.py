"""schemathesis against the live API schema: every operation of /api/openapi.json, with generated
valid and invalid requests (bounded: ``MAX_EXAMPLES`` per operation and mode, derandomized by the
"ci" hypothesis profile), sent through the WSGI app with the province manager's token on the
hand-built province of tests/web/helpers.py. Not one answer may be a server error (5xx); the run
counts its cases and prints them at the end of the pytest run ("generated cases")."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from sicollect.api.api import TokenRateThrottle, api
from sicollect.api.models import ApiToken

from ..conftest import CASES_RAN
from ..web.helpers import build

MAX_EXAMPLES = 25


@pytest.fixture
def keep_the_test_connection() -> Any:
    """Requests go through the real WSGI handler, whose request signals close the database
    connection at the end of each request (and with it the test's transaction on PostgreSQL):
    unhook them for the test, as Django's test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """800 requests in well under a minute would meet the 600-a-minute limit (429, tested in
    tests/api and tests/core/test_audit.py): lift it here so every generated case reaches a view."""
    for throttle in api.throttle:
        if isinstance(throttle, TokenRateThrottle):
            monkeypatch.setattr(throttle, "num_requests", 10**9)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_the_test_connection", "no_rate_limit")
def test_no_generated_request_makes_a_server_error() -> None:
    province = build()
    _row, token = ApiToken.issue(province["users"]["prov"])
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), database=None)
            def run(case: Any) -> None:
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    errors.append(f"{case.method} {case.formatted_path} → {response.status_code}")
                case.validate_response(response, checks=[not_a_server_error])

            run()
    cases = sum(statuses.values())
    CASES_RAN["schemathesis /api"] = (f"{cases} cases over {operations} operations, "
                                      f"{len(errors)} server errors; statuses {dict(sorted(statuses.items()))}")
    assert errors == []
    assert operations >= 7 and cases >= operations * 2
    assert statuses[200] > 0 and statuses[422] > 0  # both valid and invalid requests reached the views
    assert statuses[429] == 0
