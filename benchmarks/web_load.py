"""``make bench-web``: the staff app under load, gunicorn + PostgreSQL in production mode on loopback (issue 23).

    DATABASE_URL=postgres://…/DB .venv/bin/python benchmarks/web_load.py [--scale province] [--users 50]
        [--time 5m] [--think 3-10] [--capacity 5,10,20] [--capacity-time 60s] [--workers N]

1. the database of ``DATABASE_URL`` (PostgreSQL): loads ``sicollect demo --scale SCALE`` when it has no unit;
2. one grassroots manager account per simulated officer (``bench-load-N``, round robin over the grassroots
   offices), each with up to 50 units of its office that have late debt;
3. ``collectstatic`` and gunicorn with ``deploy/gunicorn.conf.py``, ``SICOLLECT_DEBUG=0``, on a free port;
4. locust headless (``benchmarks/load.py``): ``--users`` officers with ``--think`` seconds between requests
   for ``--time``: requests/s, p50, p95, p99 and errors per page and in all;
   after ``--warmup`` seconds (default 30, added to the time) in which every officer logs in and the
   caches fill: the figures leave out the logins (once a day in an office) and the cold start;
5. the closed-loop capacity: the same mix with no think time at each ``--capacity`` number of users for
   ``--capacity-time``; the capacity is the highest requests/s whose p95 stays under 1 s.

Prints one table per run and a summary line; the locust CSVs stay in ``--out`` (default a temp folder).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(scale: str, users: int, out: Path) -> Path:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sicollect.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from sicollect.close.models import UnitDebtState
    from sicollect.registry.models import Office, Unit
    from sicollect.staff.models import Role, StaffProfile

    if connection.vendor != "postgresql":
        sys.exit("bench-web: set DATABASE_URL=postgres://… (the load test is for the production engine)")
    call_command("migrate", interactive=False, verbosity=0)
    if not Unit.objects.exists():
        t0 = time.perf_counter()
        print(f"loading the {scale} demo …", flush=True)
        call_command("demo", scale=scale, seed=1)
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    offices = list(Office.objects.filter(parent__isnull=False).order_by("code"))
    debtors: dict[int, list[str]] = {}
    for office in offices:
        codes = list(UnitDebtState.objects.filter(late_amount__gt=0, unit__office=office)
                     .values_list("unit__code", flat=True).distinct()[:50])
        debtors[office.pk] = codes or list(Unit.objects.filter(office=office).values_list("code", flat=True)[:50])
    offices = [o for o in offices if debtors[o.pk]]
    accounts = []
    for i in range(users):
        office = offices[i % len(offices)]
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=f"bench-load-{i + 1}")
        user.set_password(password)
        user.save()
        StaffProfile.objects.update_or_create(user=user, defaults={"office": office, "role": Role.GRASSROOTS_MANAGER})
        accounts.append([user.username, password, debtors[office.pk]])
    config = out / "load-config.json"
    config.write_text(json.dumps({"users": accounts}), encoding="utf-8")
    print(f"{len(accounts)} accounts over {len(offices)} grassroots offices, "
          f"{Unit.objects.count():,} units in the database", flush=True)
    connection.close()
    return config


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def _locust(host: str, config: Path, users: int, duration: str, think: str, prefix: Path,
            warmup: int) -> list[dict[str, str]]:
    env = {**os.environ, "LOAD_CONFIG": str(config), "LOAD_THINK": think, "LOAD_WARMUP": str(warmup)}
    spawn = max(1, min(users, 10))
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "load.py"), "--headless",
           "-u", str(users), "-r", str(spawn), "-t", f"{_seconds(duration) + warmup}s", "--host", host, "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if not Path(f"{prefix}_stats.csv").exists():
        sys.exit(f"locust failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _table(title: str, rows: list[dict[str, str]], seconds: float) -> dict[str, float]:
    print(f"\n{title}")
    print(f"  {'page':16} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")
    total: dict[str, float] = {}
    for r in rows:
        if r["Request Count"] == "0":
            continue  # the logins, all in the warm-up
        name = r["Name"] if r["Name"] != "Aggregated" else "ALL"
        print(f"  {name:16} {int(r['Request Count']):>9} {float(r['Requests/s']):>7.1f} {r['50%']:>7} "
              f"{r['95%']:>7} {r['99%']:>7} {int(r['Failure Count']):>7}")
        if r["Name"] == "Aggregated":
            total = {"requests": int(r["Request Count"]), "rps": float(r["Requests/s"]), "p50": float(r["50%"]),
                     "p95": float(r["95%"]), "p99": float(r["99%"]), "errors": int(r["Failure Count"])}
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="province", choices=["small", "province"])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--time", default="5m")
    p.add_argument("--think", default="3-10", help="MIN-MAX seconds between an officer's requests")
    p.add_argument("--capacity", default="2,5,10,20", help="users of the closed-loop runs ('' to skip)")
    p.add_argument("--capacity-time", default="60s")
    p.add_argument("--warmup", type=int, default=30, help="seconds left out of the figures at the start of each run")
    p.add_argument("--workers", type=int, help="gunicorn workers (default: the config's 2 × cores + 1)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-web-"))
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SICOLLECT_VAR", str(out / "var"))
    sys.path.insert(0, str(ROOT / "src"))
    config = _prepare(args.scale, args.users, out)

    port = _free_port()
    env = {**os.environ, "SICOLLECT_DEBUG": "0", "SICOLLECT_SECRET_KEY": secrets.token_urlsafe(50),
           "SICOLLECT_ALLOWED_HOSTS": "127.0.0.1", "SICOLLECT_BIND": f"127.0.0.1:{port}",
           "SICOLLECT_ACCESS_LOG": "", "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    if args.workers:
        env["SICOLLECT_WORKERS"] = str(args.workers)
    subprocess.run([sys.executable, "-m", "sicollect.cli", "collectstatic", "--noinput", "-v0"], env=env, check=True)
    log = open(out / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=out)
    host = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        for _ in range(150):
            try:
                urllib.request.urlopen(f"{host}/health/", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        print(f"gunicorn on {host}, workers {env.get('SICOLLECT_WORKERS', '2 × cores + 1')}; {os.cpu_count()} cores",
              flush=True)
        t0 = time.perf_counter()
        rows = _locust(host, config, args.users, args.time, args.think, out / "think", args.warmup)
        main_run = _table(f"{args.users} officers, think {args.think} s, {args.time} after {args.warmup} s warm-up", rows, time.perf_counter() - t0)
        capacity: list[tuple[int, dict[str, float]]] = []
        for n in [int(x) for x in args.capacity.split(",") if x]:
            rows = _locust(host, config, n, args.capacity_time, "0", out / f"closed-{n}", min(args.warmup, 10))
            capacity.append((n, _table(f"closed loop: {n} users, no think time, {args.capacity_time}", rows, 0)))
        print("\nsummary")
        print(f"  think time: {args.users} officers, {main_run['rps']:.1f} req/s, p50 {main_run['p50']:.0f} ms, "
              f"p95 {main_run['p95']:.0f} ms, {main_run['errors']} errors of {main_run['requests']} "
              f"(target p95 < 300 ms, 0 errors: {'met' if main_run['p95'] < 300 and not main_run['errors'] else 'NOT met'})")
        under = [(n, t) for n, t in capacity if t["p95"] < 1000 and not t["errors"]]
        if capacity:
            best = max(under, key=lambda x: x[1]["rps"]) if under else None
            print("  closed-loop capacity (p95 < 1 s): " + (f"{best[1]['rps']:.1f} req/s at {best[0]} users "
                                                           f"(p95 {best[1]['p95']:.0f} ms)" if best else "none of the runs"))
        print(f"  CSVs: {out}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    main()
