"""``/health/``: is this server fit to serve? JSON for a monitor (or nginx's upstream check), no login.

Checks: the database answers, both caches store and return a value, every migration is applied (these
three make the answer 503 when they fail), the last closed month and the age of the last backup (a
close more than ``SICOLLECT_HEALTH_CLOSE_MONTHS`` months behind, default 2, or a backup older than
``SICOLLECT_HEALTH_BACKUP_HOURS``, default 26, or none, turn the status to ``"warn"``, still 200) and
the jobs whose last run failed. Nothing personal is in the answer.
"""
from __future__ import annotations

import os
import secrets
import time
from typing import Any

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from sicollect.contributions.models import ClosedMonth
from sicollect.core.months import Month


def _database() -> dict[str, Any]:
    t0 = time.perf_counter()
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "vendor": connections[DEFAULT_DB_ALIAS].vendor,
            "ms": round((time.perf_counter() - t0) * 1000, 1)}


def _caches() -> dict[str, Any]:
    out: dict[str, Any] = {"ok": True}
    for alias in ("default", "shared"):
        key, value = f"health:{secrets.token_hex(4)}", secrets.token_hex(4)
        c = caches[alias]
        c.set(key, value, 30)
        good = c.get(key) == value
        c.delete(key)
        out[alias] = good
        out["ok"] = out["ok"] and good
    return out


def _migrations() -> dict[str, Any]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {"ok": not plan, "unapplied": [f"{m.app_label}.{m.name}" for m, _ in plan][:20]}


def _last_close() -> dict[str, Any]:
    row = ClosedMonth.objects.order_by("-month").values_list("month", "closed_at").first()
    behind_limit = int(os.environ.get("SICOLLECT_HEALTH_CLOSE_MONTHS", "2"))
    if row is None:
        return {"ok": False, "month": None, "note": "no month closed yet"}
    month, closed_at = row
    behind = Month.of(timezone.localdate()) - month
    return {"ok": behind <= behind_limit, "month": str(month), "closed_at": closed_at.isoformat(),
            "months_behind": behind}


def _last_backup() -> dict[str, Any]:
    from .jobs import last_success

    at = last_success("backup")
    limit = float(os.environ.get("SICOLLECT_HEALTH_BACKUP_HOURS", "26"))
    if at is None:
        return {"ok": False, "at": None, "note": "no backup by `sicollect job backup` yet"}
    hours = (timezone.now() - at).total_seconds() / 3600
    return {"ok": hours <= limit, "at": at.isoformat(), "age_hours": round(hours, 1)}


CRITICAL = ("database", "cache", "migrations")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    from .jobs import failed_jobs

    checks: dict[str, Any] = {}
    for name, check in (("database", _database), ("cache", _caches), ("migrations", _migrations),
                        ("last_close", _last_close), ("last_backup", _last_backup)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 (a health check reports any failure instead of raising it)
            checks[name] = {"ok": False, "error": type(exc).__name__}
        if name == "database" and not checks[name]["ok"]:
            break  # nothing else can be read
    if checks.get("database", {}).get("ok"):
        try:
            checks["jobs"] = {"ok": True, "failed": []}
            failed = failed_jobs()
            checks["jobs"] = {"ok": not failed, "failed": [f"{j.name}: {j.result}"[:200] for j in failed]}
        except Exception as exc:  # noqa: BLE001
            checks["jobs"] = {"ok": False, "error": type(exc).__name__}
    critical_ok = all(checks.get(name, {}).get("ok") for name in CRITICAL)
    status = "fail" if not critical_ok else ("ok" if all(c.get("ok") for c in checks.values()) else "warn")
    return JsonResponse({"status": status, "checks": checks}, status=200 if critical_ok else 503)
