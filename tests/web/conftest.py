"""The web tests' province, built once per module (the empty cache each test starts with: tests/conftest.py)."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from .helpers import build


@pytest.fixture(scope="module")
def _qn_once(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """helpers.build's province, built once per module (2–3 s a build) inside a transaction that is rolled
    back at the module's end. Each test runs in a savepoint of it (pytest-django's ``db``), so what a test
    writes is gone before the next one. Not for tests that need ``transaction=True`` (the browser tests
    build their own)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def qn(_qn_once: dict[str, Any], db: Any) -> dict[str, Any]:
    """The hand-built province of helpers.build (QN with HL and CP), closed through Oct 2025: fresh copies
    of the module's instances, so an attribute a test changes in memory does not leak into the next."""
    return copy.deepcopy(_qn_once)
