"""Django admin edits in the audit trail.

Every model registered on the admin site (ours and third-party ones: django-otp's devices, axes'
attempts, Django's users) is wrapped by :class:`AuditedAdminSite.register` in
:class:`AuditedAdminMixin`, so each add, change and delete through the admin writes an
``AuditEvent`` next to the admin's own ``LogEntry``, in the same transaction:

* ``admin_add``: the new object's fields (``after``);
* ``admin_change``: the changed fields of the form, before and after, and the admin's change
  message (which names changed inline rows);
* ``admin_delete``: the object's fields just before deletion (one row per object, bulk action too).

Secrets never reach the trail (password hashes, OTP keys, token digests show as ``"***"``);
national IDs and phone numbers are masked as on the pages.
"""
from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.db import models
from django.http import HttpRequest

from sicollect.core import audit
from sicollect.core.privacy import mask_id
from sicollect.registry.models import Unit

SECRET = "***"
_SECRET_NAMES = ("password", "secret", "token", "key_hash", "otp")


def _secret(name: str) -> bool:
    return name == "key" or any(part in name for part in _SECRET_NAMES)


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk if not isinstance(value.pk, uuid.UUID) else str(value.pk)
    if isinstance(value, (list, tuple, set, frozenset, models.QuerySet)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def field_value(name: str, value: Any) -> Any:
    """A field's value as the audit trail keeps it: secrets hidden, personal numbers masked."""
    if _secret(name):
        return SECRET
    value = _jsonable(value)
    if isinstance(value, str) and ("national_id" in name or "phone" in name):
        return mask_id(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's own (concrete, non-relation-list) fields."""
    return {f.attname: field_value(f.name, f.value_from_object(obj)) for f in obj._meta.concrete_fields}


def unit_code_of(obj: models.Model) -> str:
    """The unit an object belongs to (for the unit's audit page and its office scope), if cheap."""
    if isinstance(obj, Unit):
        return obj.code
    unit = getattr(obj, "unit", None) if getattr(obj, "unit_id", None) else None
    return getattr(unit, "code", "") or ""


def _label(obj: models.Model) -> str:
    return obj._meta.label_lower[:60]


def _key(obj: models.Model) -> tuple[str, str]:
    return _label(obj), str(obj.pk)


def _source(request: HttpRequest) -> str:
    return f"admin: {request.method} {request.path}"[:200]


class AuditedAdminMixin:
    """Writes an ``AuditEvent`` for each admin add, change and delete (see the module's doc)."""

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        message = super().construct_change_message(request, form, formsets, add)  # type: ignore[misc]
        obj = getattr(form, "instance", None) or getattr(form, "user", None)  # the password form has .user
        if not add and isinstance(obj, models.Model):
            before, after = {}, {}
            for name in form.changed_data:
                before[name] = field_value(name, form.initial.get(name))
                after[name] = field_value(name, form.cleaned_data.get(name))
            diffs = request.__dict__.setdefault("_sicollect_admin_diffs", {})
            diffs[_key(obj)] = (before, after)
        return message

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)  # type: ignore[misc]
        _record("admin_add", request, obj, None, snapshot(obj), message)
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)  # type: ignore[misc]
        before, after = request.__dict__.get("_sicollect_admin_diffs", {}).pop(_key(obj), ({}, {}))
        _record("admin_change", request, obj, before, after, message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        entries = super().log_deletions(request, objects)  # type: ignore[misc]
        for obj in objects:
            _record("admin_delete", request, obj, snapshot(obj), None, "")
        return entries


def _record(action: str, request: HttpRequest, obj: models.Model, before: Any, after: Any, message: Any) -> None:

    if isinstance(message, list):
        message = json.dumps(message, ensure_ascii=False)
    audit.record(action, request.user.get_username(), _label(obj), obj.pk, unit_code=unit_code_of(obj),
                      before=before, after=after, source=_source(request), object_repr=str(obj)[:200],
                      change_message=message or "")


class AuditedAdminSite(AdminSite):
    """The project's admin site: every ModelAdmin registered here is audited."""

    def register(self, model_or_iterable: Any, admin_class: type[ModelAdmin] | None = None, **options: Any) -> None:
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)
