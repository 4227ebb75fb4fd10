"""Each web test starts with an empty cache: cached figures belong to the data that made them."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from .helpers import build


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def qn() -> dict[str, Any]:
    """The hand-built province of helpers.build (QN with HL and CP), closed through Oct 2025."""
    return build()
