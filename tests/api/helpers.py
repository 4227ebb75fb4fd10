from __future__ import annotations

from typing import Any

from django.test import Client

from sicollect.api.models import ApiToken


def client_for(user: Any) -> Client:
    """A test client that calls the API with a new token of ``user``."""
    _row, token = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
