"""The API's one pagination: ``limit``/``offset`` with bounds, body ``{"items", "count"}``.

ninja's LimitOffsetPagination accepts any integer; a limit or offset beyond 64 bits overflows the
database driver (a 500 that schemathesis found). Out-of-range values are a 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 10**9
MAX_ID = 2**63 - 1  # a database id or count: beyond it the drivers overflow (a 500, not a 422)
MAX_DONG = 10**15  # no single amount of the API comes near a million billion đồng

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Pages(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
