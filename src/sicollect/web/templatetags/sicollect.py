"""Vietnamese formats whatever the language: ``1.234.567 đ`` and ``dd/mm/yyyy``."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone

from sicollect.core.money import format_ppm_percent, format_vnd
from sicollect.core.privacy import mask_id

register = template.Library()


@register.filter
def vnd(amount: Any) -> str:
    """``1234567`` → ``1.234.567 đ``; empty for None."""
    if amount is None or amount == "":
        return ""
    return f"{format_vnd(int(amount))} đ"


@register.filter
def num(amount: Any) -> str:
    """A count or amount with Vietnamese grouping and no unit."""
    if amount is None or amount == "":
        return ""
    return format_vnd(int(amount))


@register.filter
def dmy(value: Any) -> str:
    """A date (or ISO date string, or datetime) as ``dd/mm/yyyy``."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


@register.filter
def pct(value: Any) -> str:
    """``2.39`` → ``2,39 %`` (Vietnamese decimal comma); ``—`` without a value."""
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") + " %"


@register.filter
def ppm(value: Any) -> str:
    return format_ppm_percent(int(value)) if value is not None else ""


@register.filter
def masked(value: str, show: bool = False) -> str:
    return value if show else mask_id(value)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if mapping else None


REGIMES = {"daily": "theo ngày", "monthly": "theo tháng"}


@register.filter
def regime(value: str) -> str:
    """The interest regime as the statement names it (Decree 274/2025: daily; before: monthly)."""
    return REGIMES.get(value, value)


@register.filter
def label(code: Any, table: str) -> str:
    """A code shown to people: ``{{ e.kind|label:"event" }}`` (see ``web.labels``)."""
    from sicollect.web.labels import label as _label

    return _label(code, table)


@register.filter
def tr(text: Any) -> str:
    """A Vietnamese label of the data (choices, step names, bands) in the user's language."""
    from sicollect.web.labels import tr as _tr

    return _tr(text)


@register.filter
def local(value: Any) -> str:
    """A moment in Vietnam's time: ``dd/mm/yyyy HH:MM`` (Asia/Ho_Chi_Minh)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y %H:%M")


@register.filter
def suspense_reason(text: Any) -> str:
    from sicollect.web.labels import suspense_reason as _reason

    return _reason(text)
