"""What differs between the SQL engines the close runs on, and nothing else.

Every step of the close is plain SQL generated from Python values; the few
spellings that differ between SQLite, PostgreSQL and Spark SQL
go through a :class:`Dialect`.
"""
from __future__ import annotations

from datetime import date


class Dialect:
    name = "ansi"
    true = "TRUE"
    false = "FALSE"

    def date(self, d: date) -> str:
        return f"DATE '{d.isoformat()}'"

    def least(self, *args: str) -> str:
        return f"LEAST({', '.join(args)})"

    def greatest(self, *args: str) -> str:
        return f"GREATEST({', '.join(args)})"

    def days(self, later: str, earlier: str) -> str:
        """Whole days from ``earlier`` to ``later`` (dates)."""
        return f"({later} - {earlier})"

    def idiv(self, numerator: str, denominator: str) -> str:
        """Integer division of non-negative integers (floor)."""
        return f"CAST(div({numerator}, {denominator}) AS BIGINT)"

    def minus_day(self, day: str) -> str:
        """The day before ``day`` (a date expression)."""
        return f"({day} - 1)"

    def date_text(self, day: str) -> str:
        """``day`` as text, YYYY-MM-DD."""
        return f"to_char({day}, 'YYYY-MM-DD')"

    def json_object(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"jsonb_build_object({args})"

    def json_max(self, column: str) -> str:
        return f"MAX({column}::text)::jsonb"

    def json_array_agg(self, pairs: dict[str, str]) -> str:
        """An aggregate: the group's rows as a JSON array of objects, to be a value of :meth:`json_object`."""
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"jsonb_agg(jsonb_build_object({args}))"

    def now(self) -> str:
        return "now()"

    def temp_table(self, name: str) -> str:
        return f"CREATE TEMP TABLE {name}"

    serial_pk = "BIGSERIAL PRIMARY KEY"
    empty_json = "'{}'::jsonb"
    json_type = "JSONB"


class PostgresDialect(Dialect):
    name = "postgresql"


class SqliteDialect(Dialect):
    name = "sqlite"
    true = "1"
    false = "0"
    serial_pk = "INTEGER PRIMARY KEY"
    empty_json = "'{}'"
    json_type = "TEXT"

    def date(self, d: date) -> str:
        return f"'{d.isoformat()}'"

    def least(self, *args: str) -> str:
        return f"MIN({', '.join(args)})"

    def greatest(self, *args: str) -> str:
        return f"MAX({', '.join(args)})"

    def days(self, later: str, earlier: str) -> str:
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def idiv(self, numerator: str, denominator: str) -> str:
        return f"(({numerator}) / ({denominator}))"

    def minus_day(self, day: str) -> str:
        return f"date({day}, '-1 day')"

    def date_text(self, day: str) -> str:
        return day  # dates are ISO text already

    def json_object(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"json_object({args})"

    def json_max(self, column: str) -> str:
        return f"MAX({column})"

    def json_array_agg(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"json_group_array(json_object({args}))"

    def now(self) -> str:
        return "strftime('%Y-%m-%d %H:%M:%f', 'now')"


class SparkDialect(Dialect):
    """Spark SQL (3.5): ANSI dates, LEAST/GREATEST; ``datediff`` for days, ``div`` for integer division,
    JSON as text (``to_json``). Work tables and their changes are ``spark.SparkTables``'s."""

    name = "spark"
    json_type = "STRING"
    empty_json = "'{}'"

    def days(self, later: str, earlier: str) -> str:
        return f"datediff({later}, {earlier})"

    def idiv(self, numerator: str, denominator: str) -> str:
        return f"CAST(({numerator}) div ({denominator}) AS BIGINT)"

    def minus_day(self, day: str) -> str:
        return f"date_sub({day}, 1)"

    def date_text(self, day: str) -> str:
        return f"date_format({day}, 'yyyy-MM-dd')"

    def json_object(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"to_json(named_struct({args}))"

    def json_max(self, column: str) -> str:
        return f"MAX({column})"

    def json_array_agg(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"collect_list(named_struct({args}))"

    def now(self) -> str:
        return "current_timestamp()"

    def temp_table(self, name: str) -> str:
        return f"CREATE TEMPORARY VIEW {name}"


class DuckDialect(Dialect):
    """DuckDB's SQL: PostgreSQL's spellings for dates and LEAST/GREATEST; ``//`` for integer division;
    JSON as text."""

    name = "duckdb"
    json_type = "VARCHAR"
    empty_json = "'{}'"

    def idiv(self, numerator: str, denominator: str) -> str:
        return f"CAST(({numerator}) // ({denominator}) AS BIGINT)"

    def date_text(self, day: str) -> str:
        return f"strftime({day}, '%Y-%m-%d')"

    def json_object(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"CAST(json_object({args}) AS VARCHAR)"

    def json_max(self, column: str) -> str:
        return f"MAX({column})"

    def json_array_agg(self, pairs: dict[str, str]) -> str:
        args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
        return f"json_group_array(json_object({args}))"

    def now(self) -> str:
        return "now()"

    def temp_table(self, name: str) -> str:
        return f"CREATE TABLE {name}"


def dialect_for(vendor: str) -> Dialect:
    if vendor == "sqlite":
        return SqliteDialect()
    if vendor == "postgresql":
        return PostgresDialect()
    if vendor == "spark":
        return SparkDialect()
    if vendor == "duckdb":
        return DuckDialect()
    raise ValueError(f"no SQL dialect for {vendor!r}")
