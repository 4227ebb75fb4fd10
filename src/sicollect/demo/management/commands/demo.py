"""``sicollect demo --scale small|province --seed N [--through YYYY-MM] [--post | --no-post]``.

Generates the deterministic demo province (Quang Ninh model, 2024-01 … 2025-12)
into an empty registry, then closes every month through ``--through`` with the set-based close (ledger,
interest, aging and classes): by default for ``small`` (what ``make run`` and the
tests use), only with ``--post`` for ``province`` (the benchmark times the close itself). When it closes
past September 2025 it stops there first for the articles' campaign (:func:`enforcement`: notices to the
late units, working groups and their visits), then goes on.
"""
from __future__ import annotations

import time
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.arrears.bulk import run
from sicollect.arrears.groups import do_form_group, do_plan_visit, do_record_visit
from sicollect.arrears.models import Case, Outcome
from sicollect.close import service
from sicollect.close.sql import close_engine
from sicollect.core.months import Month
from sicollect.demo.generator import LAST, MULTI_SCALES, SCALES, iter_province
from sicollect.demo.writer import write
from sicollect.registry.models import Office, Unit
from sicollect.rules.book import load_rulebook


class Command(BaseCommand):
    help = "Generate a deterministic demo province (Quang Ninh model, 2024-01 … 2025-12) into an empty registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES) + sorted(MULTI_SCALES), default="small",
                            help="small: 200 units, 5,000 persons; province: 10,000 units, 350,000 persons; "
                                 "PostgreSQL only, with COPY, province by province: bench (2 × 1,000 units), "
                                 "region (10 × 10,000 units, 4,000,000 persons); national (50 × 10,000 units: 500,000 units, "
                                 "20,000,000 persons, 2025 only, generated column-wise; --provinces, --units)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same province (default 1)")
        parser.add_argument("--through", default=str(LAST), help=f"close through YYYY-MM (default {LAST})")
        parser.add_argument("--no-coverage", action="store_true",
                            help="leave out the people outside employers (voluntary SI, household HI, agents): "
                                 "the close benchmarks' province, as before issue 22")
        parser.add_argument("--provinces", type=int, default=None,
                            help="national only: the number of provinces (default 50)")
        parser.add_argument("--units", type=int, default=None,
                            help="national only: units per province (default 10,000; 40 persons each)")
        post = parser.add_mutually_exclusive_group()
        post.add_argument("--post", action="store_true", help="close the months, writing the ledger (the default for small)")
        post.add_argument("--no-post", action="store_true", help="load the data only, close nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["post"] and opts["no_post"]:  # call_command() bypasses the mutually exclusive group
            raise CommandError("--post and --no-post exclude each other")
        try:
            through = Month.parse(opts["through"])
        except ValueError as exc:
            raise CommandError(f"--through: {exc}") from exc
        if Unit.objects.exists():
            raise CommandError("the registry already has units: the demo loads into an empty database only "
                               "(use a fresh database, e.g. SICOLLECT_VAR=/tmp/demo)")
        scale, seed = opts["scale"], opts["seed"]
        show = opts["verbosity"] > 0
        if scale == "national":
            self.national(seed, show, opts.get("provinces"), opts.get("units"))
            return
        if opts.get("provinces") or opts.get("units"):
            raise CommandError("--provinces and --units are for --scale national")
        if scale in MULTI_SCALES:
            self.many_provinces(scale, seed, show)
            return
        bars = _Bars(SCALES[scale].units, enabled=show)
        stats: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            counts = write(iter_province(scale, seed, load_rulebook(), on_step=bars.step, stats=stats,
                                         coverage=not opts.get("no_coverage")))
        finally:
            bars.close()
        elapsed = time.perf_counter() - started
        stats.pop("dues", None)
        self.stdout.write(
            f"demo province ({scale}, seed {seed}) in {elapsed:.1f} s: "
            + ", ".join(f"{counts.get(k, 0):,} {k}" for k in ("offices", "communes", "units", "persons",
                                                               "participations", "payments", "plans"))
            + "; outside employers: " + ", ".join(f"{counts.get(k, 0):,} {k}" for k in (
                "residents", "voluntary", "households", "members", "agents", "receipts")))
        ratios = ", ".join(f"{day}: {ratio:.2%}" for day, ratio in stats["late_ratio"].items())
        self.stdout.write(f"2025 receivable plan {stats['receivable_2025']:,} đồng; "
                          f"late principal / plan (before posting) {ratios}")

        if not (opts["post"] or scale == "small") or opts["no_post"]:
            self.stdout.write(f"ledger not posted: run `sicollect close --through {through}` "
                              "(or `sicollect demo … --post`)")
            return
        started = time.perf_counter()
        entries = 0
        first = None
        if through >= ENFORCEMENT_MONTH:
            # the articles' campaign: notices to the units late at the end of September, working groups
            summary = service.close(ENFORCEMENT_MONTH, engine=close_engine, progress=show)
            entries, first = summary.entries, summary.months[0]
            figures = enforcement(ENFORCEMENT_MONTH.last_day)
            self.stdout.write(f"on {ENFORCEMENT_MONTH.last_day}: {figures['notices']:,} notices to late units, "
                              f"{figures['groups']} working groups, {figures['visits']} visits")
        if first is None or through > ENFORCEMENT_MONTH:
            summary = service.close(through, engine=close_engine, progress=show)
            entries += summary.entries
            first = first or summary.months[0]
        self.stdout.write(f"closed {first} … {through} (set-based close) in "
                          f"{time.perf_counter() - started:.1f} s: {entries:,} ledger entries")


    def national(self, seed: int, show: bool, provinces: int | None, units: int | None) -> None:
        """The national scale, column-wise (:mod:`sicollect.demo.national`): 12 months, 2025-01 … 2025-12."""
        from django.db import connection

        from sicollect.demo import national

        if connection.vendor != "postgresql":
            raise CommandError("--scale national writes with PostgreSQL's COPY: set DATABASE_URL=postgres://…")
        provinces = national.PROVINCES if provinces is None else provinces
        units = national.UNITS if units is None else units
        if not 1 <= provinces <= 99 or units < 10:
            raise CommandError("--provinces: 1 … 99; --units: at least 10")
        bar = None
        if show:
            from tqdm import tqdm

            bar = tqdm(total=provinces * units * national.PERSONS_PER_UNIT, desc="national: persons", unit="person",
                       unit_scale=True, smoothing=0.1)
        started = time.perf_counter()
        try:
            result = national.write_national(seed, load_rulebook(), provinces=provinces, units=units,
                                             on_progress=lambda u, p: bar.update(p) if bar else None)
        finally:
            if bar:
                bar.close()
        elapsed = time.perf_counter() - started
        counts = result["counts"]
        self.stdout.write(f"demo national ({provinces} provinces × {units:,} units, seed {seed}) in {elapsed:.1f} s, "
                          f"{counts['persons'] / elapsed:,.0f} persons/s: "
                          + ", ".join(f"{counts.get(k, 0):,} {k}" for k in ("offices", "communes", "units", "persons",
                                                                             "participations", "payments")))
        self.stdout.write("  " + ", ".join(f"{k} {v:.1f} s" for k, v in result["seconds"].items()))
        ratios = ", ".join(f"{day}: {ratio:.2%}" for day, ratio in result["late_ratio"].items())
        self.stdout.write(f"late principal / 2025 receivable (before posting) {ratios}")
        self.stdout.write(f"ledger not posted: run `sicollect close --through {national.LAST}`")

    def many_provinces(self, scale: str, seed: int, show: bool) -> None:
        """Province after province (seed N·1000 + i, codes prefixed P01…), each in its own transaction
        with COPY: memory is one province's, whatever the number of provinces."""
        from django.db import connection

        from sicollect.demo.writer import write_copy

        if connection.vendor != "postgresql":
            raise CommandError(f"--scale {scale} writes with PostgreSQL's COPY: set DATABASE_URL=postgres://…")
        multi = MULTI_SCALES[scale]
        spec = SCALES[multi.province]
        book = load_rulebook()
        started = time.perf_counter()
        totals: dict[str, int] = {}
        bar = None
        if show:
            from tqdm import tqdm

            bar = tqdm(total=multi.provinces * spec.units, desc=f"{scale}: units", unit="unit", smoothing=0.05)
        for i in range(1, multi.provinces + 1):
            prefix = f"P{i:02d}"

            def step(stage: str, n: int) -> None:
                if bar and stage == "people":
                    bar.update(n)
                    bar.set_postfix_str(prefix)

            counts = write_copy(iter_province(multi.province, seed * 1000 + i, book, on_step=step, coverage=False),
                                prefix)
            for kind, n in counts.items():
                totals[kind] = totals.get(kind, 0) + n
        if bar:
            bar.close()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"demo {scale} ({multi.provinces} provinces, seed {seed}) in {elapsed:.1f} s: "
                          + ", ".join(f"{totals.get(k, 0):,} {k}" for k in ("offices", "communes", "units", "persons",
                                                                             "participations", "payments")))
        self.stdout.write(f"ledger not posted: run `sicollect close --through {LAST}`")


#: The month end the demo's enforcement campaign is dated (the Quang Ninh article's, 30 Sep 2025).
ENFORCEMENT_MONTH = Month(2025, 9)
OFFICER = "demo"
PROVINCE_AGENCIES = ["Sở Nội vụ", "Công an tỉnh", "Thanh tra tỉnh", "Liên đoàn Lao động tỉnh"]


def enforcement(as_of: Any) -> dict[str, int]:
    """What the province did about late payers on ``as_of`` (the ledger closed through that month):
    the bulk run (cases synced, the first rung proposed and confirmed: one notice per late unit, no
    PDF written), 11 interdisciplinary working groups as in Quang Ninh (2 at the province office, one
    per grassroots office) formed a month earlier, each visiting the two units with the largest late
    debt of its area not yet visited: the first signs a schedule of three monthly installments, the
    second refuses (its ladder then goes on without waiting)."""
    from datetime import date, timedelta

    result = run(as_of, OFFICER, out_dir=None, progress=False)
    formed = as_of - timedelta(days=45)
    province = Office.objects.get(parent__isnull=True)
    groups = [do_form_group(f"Đoàn liên ngành số {i} ({province.name})", province, "Giám đốc BHXH tỉnh",
                            PROVINCE_AGENCIES, formed) for i in (1, 2)]
    for office in Office.objects.filter(parent=province).order_by("code"):
        place = office.name.removeprefix("BHXH cơ sở ")
        groups.append(do_form_group(f"Đoàn liên ngành {place}", office, f"Giám đốc {office.name}",
                                    ["Phòng Nội vụ", f"Công an {place}", "Liên đoàn Lao động", f"UBND {place}"],
                                    formed))
    visited: set[int] = set()
    visits = 0
    for k, g in enumerate(groups):
        cases = Case.objects.filter(closed_on__isnull=True).select_related("unit").order_by("-late_amount", "pk")
        if g.office.parent_id is not None:
            cases = cases.filter(unit__office=g.office)
        picked = [c for c in cases[:len(visited) + 2] if c.unit_id not in visited][:2]
        for n, case in enumerate(picked):
            visited.add(case.unit_id)
            day = formed + timedelta(days=10 + 3 * k + n)
            v = do_plan_visit(g, case.unit, day, OFFICER)
            if n == 0:
                third = max(1, case.late_amount // 3)
                schedule = [(date(as_of.year, m, 15), third) for m in (10, 11, 12)]
                do_record_visit(v, day, Outcome.COMMITTED, "Đơn vị cam kết trả nợ trong 3 tháng", OFFICER, schedule)
            else:
                do_record_visit(v, day, Outcome.REFUSED, "Đơn vị không hợp tác", OFFICER)
            visits += 1
    return {"notices": result.notices_issued, "groups": len(groups), "visits": visits}


class _Bars:
    """tqdm progress bars on stderr, one per generation stage, counted in units."""

    LABELS: ClassVar[dict[str, str]] = {"people": "persons, participations, dues", "payments": "payments"}

    def __init__(self, units: int, enabled: bool) -> None:
        self.units = units
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def step(self, stage: str, n: int) -> None:
        if not self.enabled:
            return
        if stage not in self.bars:
            from tqdm import tqdm

            self.close()  # the previous stage is over

            self.bars[stage] = tqdm(total=self.units, desc=self.LABELS.get(stage, stage), unit="unit")
        self.bars[stage].update(n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()  # closing twice is harmless
