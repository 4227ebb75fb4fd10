from __future__ import annotations

from typing import Any

import pytest

from ..web.helpers import build


@pytest.fixture
def province() -> dict[str, Any]:
    """The two-office province of the web tests (HL and CP, their users and units)."""
    return build()
