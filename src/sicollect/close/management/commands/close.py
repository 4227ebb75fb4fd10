"""``sicollect close --through YYYY-MM``: close every open month of the province through a month."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sicollect.close import service
from sicollect.core.audit import cli_actor
from sicollect.core.locks import writes
from sicollect.core.money import format_vnd
from sicollect.core.months import Month
from sicollect.core.optional import MissingOptional, require


def _sql_engine() -> service.Engine:
    from sicollect.close.sql import close_engine

    return close_engine


def _spark_engine() -> service.Engine:
    require("pyspark", "--engine spark")
    require("pyarrow", "--engine spark")
    from sicollect.close.sql.spark import spark_close_engine

    return spark_close_engine


def _duckdb_engine() -> service.Engine:
    require("duckdb", "--engine duckdb")
    require("pyarrow", "--engine duckdb")
    from sicollect.close.sql.duck import duckdb_close_engine

    return duckdb_close_engine


#: --engine → the engine (imported when chosen: pyspark is only needed for spark)
ENGINES = {"sql": _sql_engine, "duckdb": _duckdb_engine, "spark": _spark_engine,
           "reference": lambda: service.reference_engine}


class Command(BaseCommand):
    help = "Close every open month through the given one: ledger, interest, aging, classes. Refused while another close runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--through", required=True, help="YYYY-MM")
        parser.add_argument("--engine", choices=list(ENGINES), default="sql",
                            help="sql: the set-based close (default); duckdb: the same steps on DuckDB (columnar, in the "
                                 "process) over copies of the tables, written back; spark: the same steps on Apache Spark "
                                 "(local mode, or SICOLLECT_SPARK_MASTER) over a Parquet export, written back; "
                                 "reference: the per-unit calculator")
        parser.add_argument("--break-lock", action="store_true", help="remove the lock left by a dead close")

    @writes("close")  # one writer at a time (core.locks)
    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            through = Month.parse(opts["through"])
        except ValueError as exc:
            raise CommandError(f"--through: {exc}") from exc
        try:
            engine = ENGINES[opts["engine"]]()
        except MissingOptional as exc:
            raise CommandError(str(exc), returncode=2) from None
        try:
            summary = service.close(through, engine=engine, progress=True, break_lock=opts["break_lock"],
                                    actor=cli_actor())
        except service.StoredValuesOutside as exc:  # a value the close cannot compute: named, nothing written
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(str(exc), returncode=2) from exc
        except service.CloseError as exc:
            raise CommandError(str(exc)) from exc
        if summary.note:
            self.stdout.write(summary.note)
        if summary.resumed_from and summary.recomputed:
            self.stdout.write(f"started from the state saved at the close of {summary.resumed_from}; "
                              f"{summary.recomputed} unit(s) whose closed months' data changed since were "
                              "recomputed from their first month, their corrections booked in this month")
        elif summary.resumed_from:
            self.stdout.write(f"started from the state saved at the close of {summary.resumed_from} "
                              "(nothing it read for the closed months has changed since)")
        self.stdout.write(f"closed {summary.months[0]} … {summary.months[-1]}: {summary.units} units, "
                          f"{format_vnd(summary.entries)} ledger rows, {summary.debt_state_changes} bucket/class changes")
        for kind, amount in summary.amounts.items():
            self.stdout.write(f"  {kind:12} {format_vnd(amount):>22} đ")
        if summary.arrears:
            cases, proposals = summary.arrears["cases"], summary.arrears["proposals"]
            self.stdout.write(f"  arrears: {cases['open_cases']} open case(s), {cases['opened']} opened, "
                              f"{cases['closed_paid']} closed paid, {cases['closed_class_iv']} to class IV; "
                              f"{proposals['proposed']} step(s) proposed {proposals['by_step']}")
        for step, seconds in summary.seconds.items():
            self.stdout.write(f"  {step:12} {seconds:8.2f} s")
