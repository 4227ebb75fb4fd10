"""Page times of the staff app on a loaded database (issue 5: p95 < 300 ms on the `province` demo).

    SICOLLECT_VAR=DIR .venv/bin/python benchmarks/web.py [--runs 20]

Uses the database of ``SICOLLECT_VAR`` (or ``DATABASE_URL``) as it is: load it first with
``sicollect bootstrap --scale province``. Times the dashboard, the worklist and unit pages through
Django's test client (no network), as a superuser and as a grassroots manager, and prints p50, p95
and the query count of each. The first dashboard view fills the cache of closed-day debts; the
numbers are the warm ones, as officers see them all day.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sicollect.close.models import UnitDebtState
    from sicollect.registry.models import Office
    from sicollect.web.models import Role, StaffProfile

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    office = Office.objects.filter(parent__isnull=False).order_by("code").first()
    manager, created = User.objects.get_or_create(username="bench-manager")
    if created:
        StaffProfile.objects.create(user=manager, office=office, role=Role.GRASSROOTS_MANAGER)
    debtors = list(UnitDebtState.objects.filter(late_amount__gt=0, unit__office=office)
                   .values_list("unit__code", flat=True).distinct()[:args.runs])
    for user in (admin, manager):
        c = Client(HTTP_HOST="localhost")
        c.force_login(user)
        t0 = time.perf_counter()
        c.get("/")  # the first view fills the cache
        print(f"{user.username:14} dashboard  first view {(time.perf_counter() - t0) * 1000:7.0f} ms")
        pages = {"dashboard": ["/"] * args.runs, "worklist": ["/worklist/"] * args.runs,
                 "unit page": [f"/units/{code}/" for code in debtors]}
        for name, urls in pages.items():
            times, queries = [], 0
            for url in urls:
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    resp = c.get(url)
                    times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, (url, resp.status_code)
                queries = max(queries, len(ctx.captured_queries))
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            print(f"{user.username:14} {name:10} p50 {statistics.median(times):7.0f} ms   p95 {p95:7.0f} ms   "
                  f"≤ {queries} queries   ({len(times)} runs)")


if __name__ == "__main__":
    main()
