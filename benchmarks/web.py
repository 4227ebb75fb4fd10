"""Page times of the staff app on a loaded database (issue 5: p95 < 300 ms on the `province` demo;
issue 20: the officer's home and the worklist with its new columns and sorts).

    SICOLLECT_VAR=DIR .venv/bin/python benchmarks/web.py [--runs 20] [--officer-units 60]

Uses the database of ``SICOLLECT_VAR`` (or ``DATABASE_URL``) as it is: load it first with
``sicollect bootstrap --scale province`` (and ``sicollect arrears run`` for cases, so that "my work"
has something to show). Times, through Django's test client (no network), as a superuser, a
grassroots manager and an officer of the first grassroots office:

* the dashboard, the worklist (default order, and sorted by interest owed and by last contact: the
  columns of issue 20), unit pages of late units;
* "my work" (``/work/``): the officer's home, and the manager's (their own plus each officer's rows).

It prints p50, p95 and the query count of each page, and the first (cold-cache) view of each page
apart. The officer gets ``--officer-units`` late units of the office for the run only: each goes
back to its own officer (or none) at the end, whatever happens. The bench users
(``bench-admin``, ``bench-manager``, ``bench-officer``) stay.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def timed(client: Any, urls: list[str]) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
        queries = max(queries, len(ctx.captured_queries))
    return sorted(times), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--officer-units", type=int, default=60,
                        help="late units without an officer lent to bench-officer for the run (default 60)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client

    from sicollect.close.models import UnitDebtState
    from sicollect.registry.models import Office, Unit
    from sicollect.staff.models import Role, StaffProfile

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    office = Office.objects.filter(parent__isnull=False).order_by("code").first()
    if office is None:
        raise SystemExit("benchmarks/web.py: the database has no grassroots office: load a demo first")

    def staff(name: str, role: str) -> Any:
        user, _ = User.objects.get_or_create(username=name)
        StaffProfile.objects.update_or_create(user=user, defaults={"office": office, "role": role})
        return user

    manager = staff("bench-manager", Role.GRASSROOTS_MANAGER)
    officer = staff("bench-officer", Role.OFFICER)
    late = (UnitDebtState.objects.filter(late_amount__gt=0, unit__office=office)
            .order_by("unit__code").values_list("unit__code", flat=True).distinct())
    debtors = list(late[:args.runs])
    # the officer's units for the run: late units of the office; each one's officer is put back at the end
    lent = dict(Unit.objects.filter(office=office, code__in=late).exclude(officer=officer)
                .order_by("code").values_list("pk", "officer_id")[:args.officer_units])
    Unit.objects.filter(pk__in=lent).update(officer=officer)
    mine = list(Unit.objects.filter(officer=officer).order_by("code").values_list("code", flat=True)[:args.runs])
    print(f"office {office.code}: {len(debtors)} late units for the unit pages, {len(lent)} lent to bench-officer")
    try:
        worklist = ["/worklist/", "/worklist/?sort=interest&dir=desc", "/worklist/?sort=last_contact"]
        pages_of = {
            admin: {"dashboard": ["/"], "worklist": worklist[:1], "worklist by interest": worklist[1:2],
                    "worklist by contact": worklist[2:], "unit page": [f"/units/{c}/" for c in debtors]},
            manager: {"dashboard": ["/"], "worklist": worklist[:1], "worklist by interest": worklist[1:2],
                      "worklist by contact": worklist[2:], "my work (manager)": ["/work/"],
                      "my work of officer": [f"/work/?officer={officer.pk}"],
                      "unit page": [f"/units/{c}/" for c in debtors]},
            officer: {"my work (officer)": ["/work/"], "worklist": worklist[:1],
                      "worklist by interest": worklist[1:2], "unit page": [f"/units/{c}/" for c in mine]},
        }
        for user, pages in pages_of.items():
            c = Client(HTTP_HOST="localhost")
            c.force_login(user)
            for name, urls in pages.items():
                if not urls:
                    continue
                first, _ = timed(c, urls[:1])  # the first view fills the caches
                runs = [urls[i % len(urls)] for i in range(args.runs)]
                times, queries = timed(c, runs)
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                print(f"{user.username:14} {name:22} first {first[0]:7.0f} ms   p50 {statistics.median(times):7.0f} ms"
                      f"   p95 {p95:7.0f} ms   ≤ {queries} queries   ({len(times)} runs)")
    finally:
        before: dict[int | None, list[int]] = {}
        for pk, was in lent.items():
            before.setdefault(was, []).append(pk)
        for was, pks in before.items():
            Unit.objects.filter(pk__in=pks, officer=officer).update(officer_id=was)


if __name__ == "__main__":
    main()
