"""The set-based monthly close: the reference calculator's month, for every unit at once.

``contributions.calculator`` walks one unit through its months; this module
walks *all* units through the same months with SQL over whole tables. The
steps are the calculator's, in the same order, so the two produce the same
ledger to the đồng (``tests/close/test_close_sql.py`` compares them key by key):

for each month P (RULES.md §4: a month's dues are owed from its close, its last day):
  1. **payments** — every payment of P pays what earlier closes booked, in one
     allocation in the legal order by window functions. Owed items of a unit,
     ordered HI → UI → OĐ-TS → OADI → HT-TT, interest before principal, oldest
     first, get cumulative ranges ``[S − outstanding, S)``; the month's payments
     in the order paid (day, then as recorded) get ``[Q − amount, Q)``; a payment
     pays an item the overlap of the two ranges. What no item takes is credit.
  2. **dues**, booked at the close — one ``INSERT … SELECT`` assesses the units:
     the declaration in force per person (``ROW_NUMBER`` over person × unit by
     declaration order), wages clamped to floor and cap, summed per unit × fund,
     rounded once. A unit none of whose rows starts in P, ended in P − 1 or was
     declared in P, in a region whose rules did not change, owes what it owed in
     P − 1: only the others (about a third) are assessed afresh. Each due becomes
     a principal *item* (fund, contribution month, late-from date).
  3. **adjustments**, booked at the close, one round per declaration day: round k
     takes each unit's k-th day in P with rows declared for earlier months, for all
     such units at once (the rounds are the most declaration days one unit has in
     P, a handful). The months a declaration changes are assessed three times
     (before it, with its rows without retro interest, with all of them); the
     differences become adjustment items, late from the month's own deadline
     (retro) or the declaring month's; interest on their full amount for the days
     they were already late before the close is added to the month's interest;
     decreases reduce the month's newest items and what was already paid goes
     back to credit.
  4. **credit** — units holding credit pay what was just booked.
  5. **month end** — daily interest is accrued lazily: an item's days are added
     (outstanding × days × rate, split at regime changes) only when its
     outstanding changes or the month ends, which gives the same exact sum as
     day-by-day accrual (a part paid on day d adds its days up to d − 1 when it
     is paid). The monthly regime (before 1 Jul 2025) adds
     outstanding × rate for items ≥ 30 days late at month end. Each unit × fund's
     exact sum is rounded half up once and becomes an interest item; credit pays
     it if it can. Then every unit's **debt at the month end** (outstanding
     principal, its late part, the oldest late-from date) is kept in ``ce_debt``,
     with the ledger query's definitions, for the aging (buckets and classes).

Work tables (``ce_*``) are temporary: they live for one close in one
transaction. The result is staged in ``ce_entry`` and written to the ledger as
differences from what it already holds, key by key, exactly as
``contributions.posting`` does (closed months: corrections go into the first
open month with ``for_period`` set), so a rerun appends nothing.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from django.db import connection

from sicollect.contributions.debts import unit_debt
from sicollect.core.months import Month
from sicollect.rules.book import RuleBook, load_rulebook
from sicollect.rules.funds import LEGAL_ORDER, Fund

from ..engines import EngineResult, Tables
from .dialect import Dialect, dialect_for
from .tables import SqlTables

DAY = timedelta(days=1)
FUND_ORDER = list(Fund)  # the calculator's order of funds when it posts dues and adjustments
FRESH_COLUMNS = "unit_id, fund, month, late_from, amount"
ITEM_COLUMNS = "unit_id, fund, kind, month, late_from, seq, outstanding, acc_from"
PREV_COLUMNS = "unit_id, month, fund, base, headcount, rate, amount"
PREV_COLUMNS_TYPED = ("unit_id BIGINT, month DATE, fund VARCHAR(8), base BIGINT, headcount BIGINT, rate BIGINT, "
                      "amount BIGINT")
PERSON_COLUMNS = "unit_id, person_id, wage, si, hi, ui, oadi"
PERSON_COLUMNS_TYPED = ("unit_id BIGINT, person_id BIGINT, wage BIGINT, si BOOLEAN, hi BOOLEAN, ui BOOLEAN, "
                        "oadi BOOLEAN")
#: the work tables a close leaves for the next one (see :class:`sicollect.close.models.CloseState`):
#: work table → (state table, its columns)
STATE_TABLES = {
    "ce_item": ("close_state_item", ITEM_COLUMNS),
    "ce_credit": ("close_state_credit", "unit_id, amount"),
    "ce_base": ("close_state_base", "unit_id, month, fund, base, first_late"),
    "ce_fresh": ("close_state_fresh", FRESH_COLUMNS),
    "ce_prev": ("close_state_prev", PREV_COLUMNS),
    "ce_pbase": ("close_state_person", PERSON_COLUMNS),
}
#: the type of each column of the state tables that is not a BIGINT (the engines that copy them: duck.py, spark.py)
STATE_TYPES = {"fund": "VARCHAR", "kind": "VARCHAR", "month": "DATE", "late_from": "DATE", "acc_from": "DATE",
               "first_late": "DATE", "si": "BOOLEAN", "hi": "BOOLEAN", "ui": "BOOLEAN", "oadi": "BOOLEAN"}


def state_columns() -> dict[str, list[tuple[str, str]]]:
    """Each ``close_state_*`` table's ``id`` (the order ``SetClose.load_state`` reads it in), then the
    columns of :data:`STATE_TABLES`, with their types (BIGINT, VARCHAR, DATE, BOOLEAN)."""
    return {state: [("id", "BIGINT")] + [(c, STATE_TYPES.get(c, "BIGINT")) for c in (x.strip() for x in cols.split(","))]
            for state, cols in STATE_TABLES.values()}


#: the work tables a resumed close on the database itself (SQLite, PostgreSQL) does not copy: it changes
#: their saved state in place (work table → state table), in its transaction, so saving them costs only
#: what the month changed (the base in force grows by every unit × month × fund: a million rows on the
#: province after two years; each person's row in force, a third of a million) instead of rewriting them
IN_PLACE = {"ce_base": "close_state_base", "ce_pbase": "close_state_person"}

#: the order a work table is saved in (its index's, so that loading it back appends to the index; the base in
#: force in its saved table's key order, month first, so that saving it appends to that key)
STATE_ORDER = {"ce_item": "id", "ce_credit": "unit_id", "ce_base": "month, unit_id, fund", "ce_fresh": "id",
               "ce_prev": "unit_id, fund", "ce_pbase": "unit_id, person_id"}
ACC_COLUMNS = "unit_id, fund, exact, month, regime, base, rate, d_from, d_to, days"
ACC_COLUMNS_TYPED = ("unit_id BIGINT, fund VARCHAR(8), exact BIGINT, month DATE, regime VARCHAR(8), base BIGINT, "
                     "rate BIGINT, d_from DATE, d_to DATE, days INTEGER")
FLAGS = {Fund.SI_LT: "si", Fund.SI_ST: "si", Fund.OADI: "oadi", Fund.HI: "hi", Fund.UI: "ui"}


def _values(rows: Iterable[tuple[Any, ...]]) -> str:
    return ", ".join("(" + ", ".join(rows_) + ")" for rows_ in rows)


def _pick(prefix: str) -> str:
    """The column ``{prefix}{i}`` of ``b`` for fund position ``f.pos`` (one row per unit × fund from one per unit)."""
    return "CASE f.pos " + " ".join(f"WHEN {i} THEN b.{prefix}{i}" for i in range(len(FUND_ORDER))) + " END"


class SetClose:
    """The steps of the close as SQL; ``tables`` runs them (:class:`SqlTables` on SQLite and
    PostgreSQL, ``spark.SparkTables`` on Apache Spark)."""

    def __init__(self, book: RuleBook, dialect: Dialect, tables: Tables) -> None:
        self.book = book
        self.d = dialect
        self.t = tables
        self.seq = 0
        self.assessed: Month | None = None  # the last month assessed (its dues are in ce_prev)
        self.start: Month | None = None  # the first month computed (after the state's month when resumed)
        self.summary = EngineResult()
        # the tables of the base in force and each person's row in force: the work tables, or their
        # saved state when a resumed close changes it in place (:meth:`load_state`, ``in_place``)
        self.base = "ce_base"
        self.pbase = "ce_pbase"
        self.in_place = False

    # --- plumbing -------------------------------------------------------------------------
    def scalar(self, sql: str) -> Any:
        return self.t.scalar(sql)

    def dt(self, d: date) -> str:
        return self.d.date(d)

    def m(self, month: Month) -> str:
        return self.d.date(month.first_day)

    def fill(self, name: str, select: str) -> None:
        self.t.fill(name, select)

    # --- set-up -----------------------------------------------------------------------------
    def create_tables(self, first: Month, through: Month) -> None:
        d, t = self.d, self.t
        for name in ("ce_rules", "ce_deadline", "ce_funds", "ce_months", "ce_monthend", "ce_item", "ce_credit",
                     "ce_acc", "ce_entry", "ce_src", "ce_alloc", "ce_assess", "ce_adj", "ce_charge",
                     "ce_left", "ce_new", "ce_dec", "ce_take", "ce_back", "ce_base", "ce_aff", "ce_g", "ce_rulew",
                     "ce_fresh", "ce_debt", "ce_round", "ce_touch", "ce_changed", "ce_prev", "ce_due", "ce_late", "ce_prow", "ce_pbase", "ce_chp", "ce_oldp",
                     "ce_eff"):
            t.drop(name)
        t.create("ce_funds", "fund VARCHAR(8), flag VARCHAR(4), prio INTEGER, pos INTEGER")
        t.insert("ce_funds", "VALUES " + _values(
            (f"'{f.value}'", f"'{FLAGS[f]}'", str(LEGAL_ORDER.index(f)), str(FUND_ORDER.index(f))) for f in Fund))
        months = [Month.from_index(i) for i in range(first.index, through.index + 1)]
        t.create("ce_months", "month DATE")
        t.insert("ce_months", "VALUES " + _values((self.m(m),) for m in months))
        rules = []
        for m in months:
            for region in (1, 2, 3, 4):
                floor = self.book.floor(region, m)
                for f in Fund:
                    rules.append((self.m(m), str(region), f"'{f.value}'", str(floor), str(self.book.cap(f, region, m)),
                                  str(self.book.rate_ppm(f, m)), str(self.book.rate_ppm(f, m, low_risk=True))))
        t.create("ce_rules", "month DATE, region INTEGER, fund VARCHAR(8), floor BIGINT, "
                 "cap BIGINT, rate BIGINT, rate_low BIGINT")
        t.insert("ce_rules", "VALUES " + _values(rules))
        t.create("ce_deadline", "month DATE, cycle INTEGER, late_from DATE")
        t.insert("ce_deadline", "VALUES " + _values(
            (self.m(m), str(c), self.dt(self.book.deadline(c, m) + DAY)) for m in months for c in (1, 3, 6)))
        # month ends under the monthly regime, for catch-up interest of retroactive amounts
        ends = []
        for m in months:
            rule = self.book.interest_on(m.last_day)
            if rule is not None and rule.kind == "monthly":
                ends.append((self.dt(m.last_day), str(rule.rate_ppm), str(rule.min_days_late)))
        t.create("ce_monthend", "day DATE, rate BIGINT, min_days INTEGER")
        if ends:
            t.insert("ce_monthend", "VALUES " + _values(ends))
        # One row per month × region with every fund's cap, for the dues: each person row is
        # clamped for all funds at once instead of being joined to five fund rows.
        caps = ", ".join(f"cap{i} BIGINT" for i in range(len(FUND_ORDER)))
        t.create("ce_rulew", f"month DATE, region INTEGER, floor BIGINT, {caps}")
        t.insert("ce_rulew", "VALUES " + _values(
            (self.m(m), str(region), str(self.book.floor(region, m)),
             *(str(self.book.cap(f, region, m)) for f in FUND_ORDER))
            for m in months for region in (1, 2, 3, 4)))
        t.index("ce_rulew_key", "ce_rulew", "month, region")
        # Small, but joined for every row: without indexes SQLite scans them row by row.
        t.index("ce_rules_key", "ce_rules", "month, region, fund")
        t.index("ce_deadline_key", "ce_deadline", "month, cycle")
        t.create("ce_item", f"id {d.serial_pk}, unit_id BIGINT, fund VARCHAR(8), kind CHAR(1), "
                 "month DATE, late_from DATE, seq BIGINT, outstanding BIGINT, acc_from DATE")
        t.index("ce_item_unit", "ce_item", "unit_id")
        t.create("ce_credit", "unit_id BIGINT PRIMARY KEY, amount BIGINT")
        # each person's row in force in the month last assessed (with a wage), per unit: the dues of a
        # month are summed from here; only the persons whose rows start, end or are declared change it
        t.create("ce_pbase", f"id {d.serial_pk}, {PERSON_COLUMNS_TYPED}")
        t.index("ce_pbase_key", "ce_pbase", "unit_id, person_id")
        # the base in force per unit × month × fund (dues, then every adjustment), for adjustments
        # first_late: the earliest late-from date of the month's dues and adjustments (the ledger's
        # MIN(late_from) of the group), from which the month-end debts are aged
        t.create("ce_base", "unit_id BIGINT, month DATE, fund VARCHAR(8), base BIGINT, first_late DATE, "
                 "PRIMARY KEY (unit_id, month, fund)")
        # dues and adjustments not late yet at the last month end: what the ledger's debt query
        # subtracts as "not late" (kept small: rows are dropped once their late-from date has passed)
        t.create("ce_fresh", f"id {d.serial_pk}, unit_id BIGINT, fund VARCHAR(8), month DATE, late_from DATE, amount BIGINT")
        # every unit's debt at every month end, as contributions.debts.unit_debts reads it from the ledger
        t.create("ce_debt", "as_of DATE, unit_id BIGINT, outstanding BIGINT, late BIGINT, oldest DATE")
        t.index("ce_debt_day", "ce_debt", "as_of")
        # the month's interest, one row per line that makes it (the charge's explanation, RULES.md §4 and
        # docs/domain.md): exact = base × rate × days (daily) or base × rate (a monthly-regime month end)
        t.create("ce_acc", ACC_COLUMNS_TYPED)
        self.create_entry_table()
        t.create("ce_src", "unit_id BIGINT, ord BIGINT, payment_id BIGINT, source VARCHAR(40), amount BIGINT, day DATE")
        # a unit's days with a late declaration in the month being closed, one round per day (see month())
        t.create("ce_round", "unit_id BIGINT, k INTEGER, day DATE")
        t.index("ce_round_k", "ce_round", "k, unit_id")

    #: the columns of ``ce_entry``, the close's result (one row per ledger amount, before summing by key)
    ENTRY_COLUMNS = ("unit_id BIGINT, period DATE, posted_on DATE, kind VARCHAR(12), fund VARCHAR(8), "
                     "target VARCHAR(10), month DATE, late_from DATE, payment_id BIGINT, source VARCHAR(40), "
                     "amount BIGINT, detail {json}")

    def create_entry_table(self) -> None:
        self.t.drop("ce_entry")
        self.t.create("ce_entry", self.ENTRY_COLUMNS.format(json=self.d.json_type))

    # --- assessment --------------------------------------------------------------------------
    def effective_sql(self, period: Month, pairs: str | None, row_filter: str) -> str:
        """The row in force in ``period`` for each (unit, person), as the calculator picks it (the latest
        declaration, then the latest start, then the latest row), when it has a wage: for every pair, or
        for those of ``pairs`` (a table of unit_id, person_id)."""
        join = f"JOIN {pairs} c ON c.unit_id = p.unit_id AND c.person_id = p.person_id" if pairs else ""
        return f"""SELECT {PERSON_COLUMNS} FROM (
  SELECT p.unit_id, p.person_id, p.wage, p.si, p.hi, p.ui, p.oadi,
         ROW_NUMBER() OVER (PARTITION BY p.unit_id, p.person_id
                            ORDER BY CASE WHEN p.declared_on IS NULL THEN 0 ELSE 1 END DESC,
                                     p.declared_on DESC, p.from_month DESC, p.id DESC) AS rn
  FROM registry_participation p {join}
  WHERE p.from_month <= {self.m(period)} AND (p.to_month IS NULL OR p.to_month >= {self.m(period)}) AND {row_filter}
) e WHERE e.rn = 1 AND e.wage > 0"""

    def assess_sql(self, period: Month, units: str | None) -> str:
        """Assessment per (unit, fund) for ``period`` from the persons' rows in force (``ce_pbase``), for
        every unit or those of ``units`` (a query of unit_id): wages clamped to the month's floor and
        each fund's cap, summed per unit × fund, × rate, rounded once."""
        d = self.d
        sums = ", ".join(
            f"SUM(CASE WHEN e.{FLAGS[f]} THEN {d.least(d.greatest('e.wage', 'w.floor'), f'w.cap{i}')} ELSE 0 END) AS b{i}, "
            f"SUM(CASE WHEN e.{FLAGS[f]} THEN 1 ELSE 0 END) AS n{i}"
            for i, f in enumerate(FUND_ORDER))
        where = f"WHERE e.unit_id IN ({units})" if units else ""

        return f"""
WITH base AS (
  SELECT e.unit_id, u.region, u.oadi_low_risk AS low, {sums}
  FROM {self.pbase} e JOIN registry_unit u ON u.id = e.unit_id
  JOIN ce_rulew w ON w.month = {self.m(period)} AND w.region = u.region
  {where}
  GROUP BY e.unit_id, u.region, u.oadi_low_risk
),
per_fund AS (
  SELECT b.unit_id, b.region, b.low, f.fund, {_pick('b')} AS base, {_pick('n')} AS headcount
  FROM base b CROSS JOIN ce_funds f
)
SELECT x.unit_id, {self.m(period)} AS month, x.fund, x.base, x.headcount,
       CASE WHEN x.low THEN r.rate_low ELSE r.rate END AS rate,
       {d.idiv("x.base * (CASE WHEN x.low THEN r.rate_low ELSE r.rate END) + 500000", "1000000")} AS amount
FROM per_fund x JOIN ce_rules r ON r.month = {self.m(period)} AND r.region = x.region AND r.fund = x.fund
WHERE x.headcount > 0
"""

    def assess_delta_sql(self, period: Month, regions: list[int]) -> str:
        """The assessment of ``period`` for the units of ``ce_changed`` outside ``regions`` (whose rules did
        not change since the month assessed last, ``ce_prev``): per unit × fund, last month's base and
        headcount, less what the changed persons' rows until now (``ce_oldp``) gave, plus what their rows
        in force now (``ce_eff``) give, clamped to the same floor and caps; × rate, rounded once. The same
        sums as :meth:`assess_sql` over every person's row in force (sums of clamped wages: exact), from
        the few changed persons instead of every person of a third of the units."""
        d = self.d
        sums = ", ".join(
            f"SUM(CASE WHEN e.{FLAGS[f]} THEN e.sgn * {d.least(d.greatest('e.wage', 'w.floor'), f'w.cap{i}')} "
            f"ELSE 0 END) AS b{i}, SUM(CASE WHEN e.{FLAGS[f]} THEN e.sgn ELSE 0 END) AS n{i}"
            for i, f in enumerate(FUND_ORDER))
        outside = f"AND u.region NOT IN ({', '.join(map(str, regions))})" if regions else ""

        rate = "CASE WHEN u.oadi_low_risk THEN r.rate_low ELSE r.rate END"
        # no WITH: this SELECT is one part of a UNION ALL (dues)
        changed = f"SELECT c.unit_id FROM ce_changed c JOIN registry_unit u ON u.id = c.unit_id WHERE 1 = 1 {outside}"
        return f"""SELECT x.unit_id, {self.m(period)} AS month, x.fund, x.base, x.headcount, {rate} AS rate,
       {d.idiv(f"x.base * ({rate}) + 500000", "1000000")} AS amount
FROM (
  SELECT s.unit_id, s.fund, SUM(s.base) AS base, SUM(s.headcount) AS headcount FROM (
    SELECT b.unit_id, f.fund, {_pick('b')} AS base, {_pick('n')} AS headcount
    FROM (
      SELECT e.unit_id, {sums}
      FROM (
        SELECT unit_id, wage, si, hi, ui, oadi, 1 AS sgn FROM ce_eff
        UNION ALL
        SELECT unit_id, wage, si, hi, ui, oadi, -1 AS sgn FROM ce_oldp
      ) e JOIN registry_unit u ON u.id = e.unit_id
      JOIN ce_rulew w ON w.month = {self.m(period)} AND w.region = u.region
      WHERE e.unit_id IN ({changed})
      GROUP BY e.unit_id
    ) b CROSS JOIN ce_funds f
    UNION ALL
    SELECT p.unit_id, p.fund, p.base, p.headcount FROM ce_prev p WHERE p.unit_id IN ({changed})
  ) s GROUP BY s.unit_id, s.fund
) x JOIN registry_unit u ON u.id = x.unit_id
JOIN ce_rules r ON r.month = {self.m(period)} AND r.region = u.region AND r.fund = x.fund
WHERE x.headcount > 0"""

    def new_items(self, source: str, on: str) -> int:
        """Insert principal items from ``source`` (unit_id, fund, month, late_from, amount, ord) in order;
        ``on``: the day they are owed from (SQL: a date, or a column of ``source`` as ``s.col``)."""
        base = self.seq
        self.t.insert("ce_item", f"""
SELECT unit_id, fund, 'P', month, late_from, {base} + ROW_NUMBER() OVER (ORDER BY unit_id, ord), amount, {on}
FROM ({source}) s""", ITEM_COLUMNS)
        self.seq = base + (self.scalar(f"SELECT COUNT(*) FROM ({source}) s") or 0)
        return self.seq - base

    # --- step 1: dues ----------------------------------------------------------------------------
    def rules_changed(self, period: Month) -> list[int]:
        """The wage regions whose floor, caps or rates differ between the month before ``period`` and it."""
        before = Month.from_index(period.index - 1)

        def terms(region: int, m: Month) -> tuple[Any, ...]:
            b = self.book
            return (b.floor(region, m), *(b.cap(f, region, m) for f in Fund),
                    *(b.rate_ppm(f, m) for f in Fund), *(b.rate_ppm(f, m, low_risk=True) for f in Fund))

        return [r for r in (1, 2, 3, 4) if terms(r, before) != terms(r, period)]

    def dues(self, period: Month) -> None:
        """Assess every unit for ``period``. Each person's row in force is kept in ``ce_pbase``; it is
        looked up again only for the persons one of whose rows starts this month, ended last month or
        was declared this month (a few per cent a month). A unit's dues are last month's, relabelled,
        unless one of its persons changed or the rules of its region did: only those units (about a
        third a month) are summed again, from ``ce_pbase``."""
        d = self.d
        # COALESCE rather than IS NULL OR …: the same rows, but SQLite then reads the persons' rows by
        # their own index instead of nearly the whole table through the declared_on one.
        row_filter = f"COALESCE(p.declared_on, {self.dt(date(1, 1, 1))}) <= {self.dt(period.last_day)}"
        regions = self.rules_changed(period)
        if self.assessed is None:
            self.t.insert(self.pbase, self.effective_sql(period, None, row_filter), PERSON_COLUMNS)
        else:
            # the persons whose row in force can differ from last month's: a row starts, one ended,
            # or one was declared this month (rows declared later are not known yet)
            before = Month.from_index(period.index - 1)
            self.fill("ce_chp", f"""SELECT DISTINCT p.unit_id, p.person_id FROM registry_participation p
WHERE p.from_month = {self.m(period)} OR p.to_month = {self.m(before)}
   OR (p.declared_on > {self.dt(before.last_day)} AND p.declared_on <= {self.dt(period.last_day)})""")
            self.fill("ce_eff", self.effective_sql(period, "ce_chp", row_filter))
            # their rows in force until now, for the differences (assess_delta_sql)
            self.fill("ce_oldp", f"""SELECT b.unit_id, b.person_id, b.wage, b.si, b.hi, b.ui, b.oadi
FROM ce_chp c JOIN {self.pbase} b ON b.unit_id = c.unit_id AND b.person_id = c.person_id""")
            self.t.delete(self.pbase, f"""{self.pbase}.id IN (SELECT b.id FROM ce_chp c JOIN {self.pbase} b
  ON b.unit_id = c.unit_id AND b.person_id = c.person_id)""")
            self.t.insert(self.pbase, f"SELECT {PERSON_COLUMNS} FROM ce_eff", PERSON_COLUMNS)
        if self.assessed is None or len(regions) == 4:
            self.fill("ce_assess", self.assess_sql(period, None))
        else:
            in_regions = (f" UNION SELECT id FROM registry_unit WHERE region IN ({', '.join(map(str, regions))})"
                          if regions else "")
            self.fill("ce_changed", f"SELECT DISTINCT unit_id FROM ce_chp{in_regions}")
            # the units of a region whose rules changed: summed again from every person's row in force;
            # the others with a changed person: last month's sums and the changed persons' differences
            parts = [self.assess_delta_sql(period, regions)]
            if regions:
                fresh = self.assess_sql(
                    period, f"SELECT id FROM registry_unit WHERE region IN ({', '.join(map(str, regions))})")
                parts.append(f"SELECT * FROM ({fresh}) fresh")
            parts.append(f"""SELECT unit_id, {self.m(period)}, fund, base, headcount, rate, amount FROM ce_prev
WHERE unit_id NOT IN (SELECT unit_id FROM ce_changed)""")
            self.fill("ce_assess", "\nUNION ALL\n".join(parts))
        self.fill("ce_prev", "SELECT unit_id, month, fund, base, headcount, rate, amount FROM ce_assess")
        self.assessed = period
        # the dues with their late-from date (the unit's payment cycle) and the fund's place, joined once
        self.fill("ce_due", """SELECT a.unit_id, a.month, a.fund, a.base, a.headcount, a.rate, a.amount, dl.late_from,
       f.pos
FROM ce_assess a JOIN registry_unit u ON u.id = a.unit_id JOIN ce_funds f ON f.fund = a.fund
JOIN ce_deadline dl ON dl.month = a.month AND dl.cycle = u.payment_cycle""")
        self.t.insert(self.base, "SELECT unit_id, month, fund, base, CASE WHEN amount <> 0 THEN late_from END FROM ce_due",
                      "unit_id, month, fund, base, first_late")
        self.t.insert("ce_fresh", f"""SELECT unit_id, fund, month, late_from, amount FROM ce_due
WHERE amount <> 0 AND late_from > {self.dt(period.last_day)}""", FRESH_COLUMNS)
        detail = d.json_object({"base": "base", "headcount": "headcount", "rate_ppm": "rate"})
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, {self.dt(period.last_day)}, 'due', fund, 'principal', month, late_from,
       NULL, '', amount, {detail}
FROM ce_due WHERE amount <> 0""")
        self.new_items("SELECT unit_id, fund, month, late_from, amount, pos AS ord FROM ce_due WHERE amount > 0",
                       self.dt(period.last_day))

    # --- interest ------------------------------------------------------------------------------------
    def _daily_lines(self, start: str, end: str) -> list[tuple[int, str, str, str]]:
        """Per daily regime: (rate, first day, last day, days) of [start, end] in the regime (SQL)."""
        d = self.d
        rules = self.book.interest
        out = []
        for i, r in enumerate(rules):
            if r.kind != "daily":
                continue
            lo = d.greatest(start, self.dt(r.valid_from))
            hi = end if i + 1 == len(rules) else d.least(end, self.dt(rules[i + 1].valid_from - DAY))
            out.append((r.rate_ppm, lo, hi, d.greatest(f"{d.days(hi, lo)} + 1", "0")))
        return out

    def accrue_lines(self, start: str, end: str, base: str, month: str, source: str, alias: str) -> None:
        """Daily interest lines into ``ce_acc``: ``base`` late on each day of [start, end], for the rows of
        ``source`` (SQL after SELECT …: FROM, joins and WHERE; ``alias``: the table with the unit and fund)."""
        for rate, lo, hi, days in self._daily_lines(start, end):
            self.t.insert("ce_acc", f"""
SELECT * FROM (
  SELECT {alias}.unit_id, {alias}.fund, {base} * {rate} * {days} AS exact, {month} AS month, 'daily' AS regime, {base} AS base,
         {rate} AS rate, {lo} AS d_from, {hi} AS d_to, {days} AS days
  {source}
) x WHERE x.days > 0 AND x.base > 0""", ACC_COLUMNS)

    def accrue(self, where: str, until: str) -> None:
        """Daily interest of the principal items selected by ``where``, through the day before ``until``
        (SQL: a date); those items then accrue from ``until`` on."""
        d = self.d
        self.accrue_lines(d.greatest("i.acc_from", "i.late_from"), d.minus_day(until), "i.outstanding", "i.month",
                          f"""FROM ce_item i
  WHERE i.kind = 'P' AND i.outstanding > 0 AND i.acc_from < {until} AND i.late_from < {until} AND ({where})""", "i")
        self.fill("ce_touch", f"""SELECT i.id, {until} AS day FROM ce_item i
WHERE i.kind = 'P' AND i.acc_from < {until} AND ({where})""")
        self.t.update("ce_item", {"acc_from": "t.day"}, "ce_item.id = t.id", source="ce_touch t")

    def month_end(self, period: Month) -> None:
        d = self.d
        last = period.last_day
        self.accrue("1 = 1", self.dt(last + DAY))
        rule = self.book.interest_on(last)
        if rule is not None and rule.kind == "monthly":
            self.t.insert("ce_acc", f"""
SELECT unit_id, fund, outstanding * {rule.rate_ppm}, month, 'monthly', outstanding, {rule.rate_ppm}, late_from,
       {self.dt(last)}, {d.days(self.dt(last), 'late_from')} + 1 FROM ce_item
WHERE kind = 'P' AND outstanding > 0 AND late_from <= {self.dt(last)}
  AND {d.days(self.dt(last), 'late_from')} + 1 >= {rule.min_days_late}""", ACC_COLUMNS)
        segment = d.json_array_agg({"month": d.date_text("month"), "regime": "regime", "base": "base",
                                    "rate_ppm": "rate", "from": d.date_text("d_from"), "to": d.date_text("d_to"),
                                    "days": "days"})
        self.fill("ce_charge", f"""
SELECT unit_id, fund, SUM(exact) AS exact, {d.idiv('SUM(exact) + 500000', '1000000')} AS amount,
       {d.json_object({"exact_ppm": "SUM(exact)", "segments": segment})} AS detail
FROM ce_acc GROUP BY unit_id, fund""")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, {self.dt(last)}, 'interest', fund, 'interest', {self.m(period)}, NULL, NULL, '',
       amount, detail
FROM ce_charge WHERE amount > 0""")
        self.t.insert("ce_item", f"""
SELECT unit_id, fund, 'I', {self.m(period)}, NULL, 0, amount, {self.dt(last)} FROM ce_charge WHERE amount > 0""",
                      ITEM_COLUMNS)
        self.t.clear("ce_acc")
        self.apply_credit(last)
        self.month_end_debts(period)

    def month_end_debts(self, period: Month) -> None:
        """Every unit's debt at the month end, from the items still owed: outstanding principal, its late
        part and the earliest late-from date of its late months, with the ledger query's definitions
        (``contributions.debts.DEBT_SQL``: per unit × fund × month, late = outstanding − not yet late, clamped
        to [0, outstanding]); the close ages units from these rows instead of re-reading the ledger."""
        last = self.dt(period.last_day)
        late = "CASE WHEN o.owed - o.fresh <= 0 THEN 0 WHEN o.fresh < 0 THEN o.owed ELSE o.owed - o.fresh END"
        # the items owed and the dues not yet late summed in one grouping per unit × fund × month (the keys
        # with an item only), rather than each grouped on its own and joined (0.35 → 0.29 s on the province)
        self.t.insert("ce_debt", f"""
SELECT {last}, g.unit_id, SUM(g.owed), SUM(g.late), MIN(CASE WHEN g.late > 0 THEN g.first_late END)
FROM (
  SELECT o.unit_id, o.owed, {late} AS late, b.first_late
  FROM (SELECT unit_id, fund, month, SUM(owed) AS owed, SUM(fresh) AS fresh FROM (
          SELECT unit_id, fund, month, outstanding AS owed, 0 AS fresh, 1 AS item FROM ce_item WHERE kind = 'P'
          UNION ALL
          SELECT unit_id, fund, month, 0, amount, 0 FROM ce_fresh WHERE late_from > {last}) u
        GROUP BY unit_id, fund, month HAVING MAX(item) = 1) o
  LEFT JOIN {self.base} b ON b.unit_id = o.unit_id AND b.fund = o.fund AND b.month = o.month
) g
GROUP BY g.unit_id""", "as_of, unit_id, outstanding, late, oldest")
        self.t.delete("ce_fresh", f"ce_fresh.late_from <= {last}")

    # --- allocation ----------------------------------------------------------------------------------
    def allocate(self, period: Month) -> None:
        """Apply the sources in ``ce_src`` (each on its ``day``, in ``ord`` order per unit) to what their
        units owe, in the legal order.

        The items do not change between the sources of one call (dues come before, new items of a late
        declaration and interest after), so one pass serves every day of it. Interest: a part paid on day
        d stops accruing that day; its days from the item's ``acc_from`` to d − 1 are added now, and the
        rest stays with the item's outstanding from ``acc_from`` on — the same exact sum as accruing the
        whole item to d − 1 and starting again on d."""
        d = self.d
        cum = "CAST(SUM({x}) OVER (PARTITION BY {p} ORDER BY {o} ROWS UNBOUNDED PRECEDING) AS BIGINT)"
        self.fill("ce_alloc", f"""
WITH owed AS (
  SELECT i.id, i.unit_id, i.fund, i.kind, i.month, i.outstanding,
         {cum.format(x='i.outstanding', p='i.unit_id',
                     o="f.prio, CASE WHEN i.kind = 'I' THEN 0 ELSE 1 END, i.month, i.late_from, i.seq")} AS s_end
  FROM ce_item i JOIN ce_funds f ON f.fund = i.fund
  WHERE i.outstanding > 0 AND i.unit_id IN (SELECT unit_id FROM ce_src)
), src AS (
  SELECT unit_id, ord, payment_id, source, amount, day, {cum.format(x='amount', p='unit_id', o='ord')} AS q_end
  FROM ce_src
)
SELECT o.id AS item_id, o.unit_id, o.fund, o.kind, o.month, s.payment_id, s.source, s.ord, s.day,
       {d.least('o.s_end', 's.q_end')} - {d.greatest('o.s_end - o.outstanding', 's.q_end - s.amount')} AS amount
FROM owed o JOIN src s ON s.unit_id = o.unit_id
WHERE {d.least('o.s_end', 's.q_end')} > {d.greatest('o.s_end - o.outstanding', 's.q_end - s.amount')}""")
        self.accrue_lines(d.greatest("i.acc_from", "i.late_from"), d.minus_day("a.day"), "a.amount", "i.month",
                          """FROM ce_alloc a JOIN ce_item i ON i.id = a.item_id
  WHERE i.kind = 'P' AND i.acc_from < a.day AND i.late_from < a.day""", "i")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, day, 'payment', fund,
       CASE WHEN kind = 'I' THEN 'interest' ELSE 'principal' END, month, NULL, payment_id, source, -amount, NULL
FROM ce_alloc""")
        self.t.update("ce_item", {"outstanding": "ce_item.outstanding - t.amount"}, "ce_item.id = t.item_id",
                      source="(SELECT item_id, SUM(amount) AS amount FROM ce_alloc GROUP BY item_id) t")
        self.t.delete("ce_item", "ce_item.id IN (SELECT item_id FROM ce_alloc) AND ce_item.outstanding = 0")
        self.fill("ce_left", """
SELECT s.unit_id, s.payment_id, s.source, s.amount, s.day, s.amount - COALESCE(t.amount, 0) AS left_over
FROM ce_src s LEFT JOIN (SELECT unit_id, ord, SUM(amount) AS amount FROM ce_alloc GROUP BY unit_id, ord) t
  ON t.unit_id = s.unit_id AND t.ord = s.ord""")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, day, 'credit', '', '', NULL, NULL, payment_id, '', left_over, NULL
FROM ce_left WHERE source = '' AND left_over > 0""")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, day, 'credit', '', '', NULL, NULL, NULL, 'applied',
       -(amount - left_over), NULL
FROM ce_left WHERE source = 'credit' AND amount - left_over > 0""")
        self.t.upsert("ce_credit", "unit_id, amount", "unit_id", """
SELECT unit_id, SUM(CASE WHEN source = 'credit' THEN -(amount - left_over) ELSE left_over END) FROM ce_left WHERE 1 = 1
GROUP BY unit_id""", {"amount": "{t}.amount + excluded.amount"})

    def apply_credit(self, on: date) -> None:
        """Units holding credit pay what they owe from it on ``on``."""
        self.t.clear("ce_src")
        self.t.insert("ce_src", f"""SELECT unit_id, 0, NULL, 'credit', amount, {self.dt(on)} FROM ce_credit c
WHERE amount > 0""")
        if self.scalar("SELECT COUNT(*) FROM ce_src"):
            self.allocate(Month.of(on))

    def payments(self, period: Month, window: str) -> None:
        """Allocate the payments of ``period`` that ``window`` keeps (over ``p``, the payment), per unit in
        the order paid (day, then as recorded)."""
        self.t.clear("ce_src")
        self.t.insert("ce_src", f"""SELECT p.unit_id, ROW_NUMBER() OVER (PARTITION BY p.unit_id ORDER BY p.paid_on, p.id),
       p.id, '', p.amount, p.paid_on FROM contributions_payment p {window}""")
        if self.scalar("SELECT COUNT(*) FROM ce_src"):
            self.allocate(period)

    # --- adjustments -------------------------------------------------------------------------------------
    def person_bases_sql(self, variant: int, row_filter: str) -> str:
        """Σ of the clamped wages of the persons in ``ce_aff`` per (unit, month, fund), under ``row_filter``
        (over ``p``, the participation row, and ``a``, the affected person with the declaration ``day``)."""
        d = self.d
        clamp = d.least(d.greatest("e.wage", "r.floor"), "r.cap")
        flag = ("((f.flag = 'si' AND e.si) OR (f.flag = 'hi' AND e.hi) OR (f.flag = 'ui' AND e.ui) "
                "OR (f.flag = 'oadi' AND e.oadi))")
        return f"""SELECT e.unit_id, e.month, f.fund, SUM({clamp}) AS base, {variant} AS v
FROM (
  SELECT a.unit_id, a.month, p.wage, p.si, p.hi, p.ui, p.oadi,
         ROW_NUMBER() OVER (PARTITION BY a.unit_id, a.month, a.person_id
                            ORDER BY CASE WHEN p.declared_on IS NULL THEN 0 ELSE 1 END DESC,
                                     p.declared_on DESC, p.from_month DESC, p.id DESC) AS rn
  FROM ce_aff a JOIN ce_prow p
    ON p.person_id = a.person_id AND p.unit_id = a.unit_id AND p.from_month <= a.month
   AND (p.to_month IS NULL OR p.to_month >= a.month)
  WHERE {row_filter}
) e
JOIN registry_unit u ON u.id = e.unit_id
JOIN ce_funds f ON {flag}
JOIN ce_rules r ON r.month = e.month AND r.region = u.region AND r.fund = f.fund
WHERE e.rn = 1 AND e.wage > 0
GROUP BY e.unit_id, e.month, f.fund"""

    def adjustments(self, period: Month, k: int) -> None:
        """The effect on earlier months of the rows each unit of round ``k`` declared on its day
        (``ce_round``; see calculator.post_adjustments): units are independent, so every unit's k-th
        declaration day of the month is done in the same statements."""
        d = self.d
        rounds = f"(SELECT unit_id, day FROM ce_round WHERE k = {k})"
        # Only the persons with a row declared that day can change; every other person's
        # contribution is already in ce_base (the base in force), so the months' new bases are
        # that base plus these persons' differences, and the amounts are the bases × rate, rounded.
        self.fill("ce_aff", f"""SELECT DISTINCT p.unit_id, c.month, p.person_id, r.day
FROM ce_round r CROSS JOIN ce_late p CROSS JOIN ce_months c
WHERE r.k = {k} AND p.declared_on = r.day AND p.unit_id = r.unit_id
  AND c.month >= p.from_month AND (p.to_month IS NULL OR c.month <= p.to_month) AND c.month < {self.m(period)}""")
        variants = {
            0: "(p.declared_on IS NULL OR p.declared_on < a.day)",
            1: "(p.declared_on IS NULL OR p.declared_on < a.day OR (p.declared_on = a.day AND NOT p.retro_interest))",
            2: "(p.declared_on IS NULL OR p.declared_on <= a.day)",
        }
        union = " UNION ALL ".join(self.person_bases_sql(v, f) for v, f in variants.items())
        amount = lambda base: d.idiv(f"{base} * b.rate + 500000", "1000000")  # noqa: E731
        self.fill("ce_g", f"""
WITH c AS ({union}),
dd AS (
  SELECT unit_id, month, fund,
         SUM(CASE WHEN v = 1 THEN base WHEN v = 0 THEN -base ELSE 0 END) AS d01,
         SUM(CASE WHEN v = 2 THEN base WHEN v = 1 THEN -base ELSE 0 END) AS d12
  FROM c GROUP BY unit_id, month, fund
),
b AS (
  SELECT dd.unit_id, dd.month, dd.fund, COALESCE(cb.base, 0) AS b0, COALESCE(cb.base, 0) + dd.d01 AS b1,
         COALESCE(cb.base, 0) + dd.d01 + dd.d12 AS b2,
         CASE WHEN u.oadi_low_risk THEN r.rate_low ELSE r.rate END AS rate
  FROM dd JOIN registry_unit u ON u.id = dd.unit_id
  JOIN ce_rules r ON r.month = dd.month AND r.region = u.region AND r.fund = dd.fund
  LEFT JOIN {self.base} cb ON cb.unit_id = dd.unit_id AND cb.month = dd.month AND cb.fund = dd.fund
)
SELECT b.unit_id, b.month, b.fund, b.b2, {amount('b.b1')} - {amount('b.b0')} AS d0,
       {amount('b.b2')} - {amount('b.b1')} AS d1
FROM b""")
        self.t.upsert(self.base, "unit_id, month, fund, base", "unit_id, month, fund",
                      "SELECT unit_id, month, fund, b2 FROM ce_g WHERE 1 = 1", {"base": "excluded.base"})
        self.fill("ce_adj", f"""
SELECT g.unit_id, g.month, g.fund, 0 AS step, g.d0 AS delta, dp.late_from, r.day FROM ce_g g
  JOIN registry_unit u ON u.id = g.unit_id JOIN {rounds} r ON r.unit_id = g.unit_id
  JOIN ce_deadline dp ON dp.month = {self.m(period)} AND dp.cycle = u.payment_cycle WHERE g.d0 <> 0
UNION ALL
SELECT g.unit_id, g.month, g.fund, 1, g.d1, dm.late_from, r.day FROM ce_g g
  JOIN registry_unit u ON u.id = g.unit_id JOIN {rounds} r ON r.unit_id = g.unit_id
  JOIN ce_deadline dm ON dm.month = g.month AND dm.cycle = u.payment_cycle WHERE g.d1 <> 0""")
        day_text = d.date_text("day")
        detail = d.json_object({"declared_on": day_text, "retro_interest": "step"})
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, {self.dt(period.last_day)}, 'adjustment', fund, 'principal', month, late_from, NULL,
       'declared ' || {day_text}, delta, {detail}
FROM ce_adj""")
        self.t.upsert(self.base, "unit_id, month, fund, base, first_late", "unit_id, month, fund", """
SELECT unit_id, month, fund, 0, MIN(late_from) FROM ce_adj WHERE 1 = 1 GROUP BY unit_id, month, fund""",
                      {"first_late": "CASE WHEN {t}.first_late IS NULL OR excluded.first_late < {t}.first_late "
                                     "THEN excluded.first_late ELSE {t}.first_late END"})
        self.t.insert("ce_fresh", f"""SELECT unit_id, fund, month, late_from, delta FROM ce_adj
WHERE late_from > {self.dt(period.last_day)}""", FRESH_COLUMNS)
        for step in (0, 1):
            self._apply_adjustments(period, k, step)

    def _apply_adjustments(self, period: Month, k: int, step: int) -> None:
        """Round ``k``'s differences of ``step`` (0: rows without retro interest, 1: with it), booked at the
        close of ``period`` (RULES.md §4): increases become items owed from the close, with interest for
        the days they were already late before it on their full amount; decreases come off the month's
        newest items, and what was already paid goes back to credit."""
        d = self.d
        close = self.dt(period.last_day)
        # increases: new items, with interest for the days already late before the declaration
        self.fill("ce_new", f"""
SELECT a.unit_id, a.fund, a.month, a.late_from, a.delta AS amount, {close} AS day FROM ce_adj a
WHERE a.step = {step} AND a.delta > 0""")
        if self.scalar("SELECT COUNT(*) FROM ce_new"):
            self.accrue_lines("n.late_from", d.minus_day("n.day"), "n.amount", "n.month",
                              "FROM ce_new n WHERE n.late_from < n.day", "n")
            self.t.insert("ce_acc", f"""
SELECT n.unit_id, n.fund, n.amount * e.rate, n.month, 'monthly', n.amount, e.rate, n.late_from, e.day,
       {d.days('e.day', 'n.late_from')} + 1
FROM ce_new n JOIN ce_monthend e
  ON e.day >= n.late_from AND e.day < n.day AND {d.days('e.day', 'n.late_from')} + 1 >= e.min_days""", ACC_COLUMNS)
            self.new_items("""SELECT n.unit_id, n.fund, n.month, n.late_from, n.amount, n.day,
  ROW_NUMBER() OVER (PARTITION BY n.unit_id ORDER BY n.month, f.pos) AS ord
FROM ce_new n JOIN ce_funds f ON f.fund = n.fund""", "s.day")
        # decreases: off the month's newest items first; what was paid goes back to credit
        self.fill("ce_dec", f"""
SELECT a.unit_id, a.fund, a.month, -a.delta AS amount, {close} AS day FROM ce_adj a WHERE a.step = {step} AND a.delta < 0""")
        if not self.scalar("SELECT COUNT(*) FROM ce_dec"):
            return
        where = ("EXISTS (SELECT 1 FROM ce_dec x WHERE x.unit_id = i.unit_id AND x.fund = i.fund "
                 "AND x.month = i.month)")
        self.accrue(where, close)
        self.fill("ce_take", f"""
WITH items AS (
  SELECT i.id, i.unit_id, i.fund, i.month, i.outstanding,
         CAST(SUM(i.outstanding) OVER (PARTITION BY i.unit_id, i.fund, i.month ORDER BY i.seq DESC
                                       ROWS UNBOUNDED PRECEDING) AS BIGINT) AS c_end
  FROM ce_item i WHERE i.kind = 'P' AND i.outstanding > 0 AND {where}
)
SELECT it.id, {d.least('it.outstanding', d.greatest('x.amount - (it.c_end - it.outstanding)', '0'))} AS take
FROM items it JOIN ce_dec x ON x.unit_id = it.unit_id AND x.fund = it.fund AND x.month = it.month""")
        self.t.update("ce_item", {"outstanding": "ce_item.outstanding - t.take"}, "ce_item.id = t.id AND t.take > 0",
                      source="ce_take t")
        self.fill("ce_back", """
SELECT x.unit_id, x.fund, x.month, x.day, x.amount - COALESCE(t.take, 0) AS back
FROM ce_dec x LEFT JOIN (
  SELECT i.unit_id, i.fund, i.month, SUM(t.take) AS take FROM ce_take t JOIN ce_item i ON i.id = t.id
  GROUP BY i.unit_id, i.fund, i.month) t ON t.unit_id = x.unit_id AND t.fund = x.fund AND t.month = x.month""")
        self.t.delete("ce_item", "ce_item.id IN (SELECT id FROM ce_take) AND ce_item.outstanding = 0")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, day, 'payment', fund, 'principal', month, NULL, NULL, 'to-credit', back, NULL
FROM ce_back WHERE back > 0""")
        self.t.insert("ce_entry", f"""
SELECT unit_id, {self.m(period)}, day, 'credit', '', '', NULL, NULL, NULL, 'decrease', SUM(back), NULL
FROM ce_back WHERE back > 0 GROUP BY unit_id, day""")
        self.t.upsert("ce_credit", "unit_id, amount", "unit_id",
                      "SELECT unit_id, SUM(back) FROM ce_back WHERE back > 0 GROUP BY unit_id",
                      {"amount": "{t}.amount + excluded.amount"})

    # --- the month -------------------------------------------------------------------------------------
    def declaration_rounds(self, period: Month, cutoff: date) -> int:
        """Fill ``ce_round`` with each unit's days in ``period`` (through ``cutoff``) on which it declared
        rows reaching back into earlier months; returns the most such days of any unit (the rounds)."""
        lo, hi = self.dt(period.first_day), self.dt(min(period.last_day, cutoff))
        # the month's late rows, read once (by the declared_on index): every round reads them from here
        self.fill("ce_late", f"""SELECT p.unit_id, p.person_id, p.declared_on, p.from_month, p.to_month
FROM registry_participation p
WHERE p.declared_on >= {lo} AND p.declared_on <= {hi} AND p.from_month < {self.m(period)}""")
        # every row of the persons those late rows belong to (their bases are assessed again, each round)
        self.fill("ce_prow", """SELECT p.id, p.person_id, p.unit_id, p.from_month, p.to_month, p.wage, p.si, p.hi, p.ui,
       p.oadi, p.declared_on, p.retro_interest
FROM (SELECT DISTINCT unit_id, person_id FROM ce_late) l
JOIN registry_participation p ON p.person_id = l.person_id AND p.unit_id = l.unit_id""")
        self.fill("ce_round", """
SELECT unit_id, CAST(ROW_NUMBER() OVER (PARTITION BY unit_id ORDER BY day) AS INTEGER) AS k, day
FROM (SELECT DISTINCT unit_id, declared_on AS day FROM ce_late) x""")
        return int(self.scalar("SELECT COALESCE(MAX(k), 0) FROM ce_round") or 0)

    def month(self, period: Month, cutoff: date) -> None:
        """One month for every unit (RULES.md §4, "When dues are owed"). The month's payments pay what
        earlier closes booked, all in one allocation (nothing new is owed before the close). At the close
        (the month's last day) the month's dues are booked, then each unit's late declarations of the
        month, one round per declaration day (round k: every unit's k-th day, in the same statements);
        the credit pays them, and the month's interest is charged. The number of rounds is the most
        declaration days one unit has in the month, not the days of the month."""
        lo, hi = self.dt(period.first_day), self.dt(min(period.last_day, cutoff))
        t = time.perf_counter()
        self.payments(period, f"WHERE p.paid_on >= {lo} AND p.paid_on <= {hi}")
        self.summary.add("payments", time.perf_counter() - t)
        t = time.perf_counter()
        self.dues(period)
        self.summary.add("dues", time.perf_counter() - t)
        t = time.perf_counter()
        rounds = self.declaration_rounds(period, cutoff)
        for k in range(1, rounds + 1):
            self.adjustments(period, k)
        self.summary.add("adjustments", time.perf_counter() - t)
        t = time.perf_counter()
        self.apply_credit(period.last_day)
        self.month_end(period)
        self.summary.add("interest", time.perf_counter() - t)

    # --- the state a close leaves for the next ------------------------------------------------------
    def save_state(self) -> None:
        """Replace the saved state by the work tables as they are now (after the last month computed); the
        tables changed in place (``IN_PLACE``, after :meth:`load_state` with ``in_place``) are saved already."""
        for work, (state, columns) in STATE_TABLES.items():
            if self.in_place and work in IN_PLACE:
                continue
            self.t.empty(state)
            self.t.insert(state, f"SELECT {columns} FROM {work} ORDER BY {STATE_ORDER[work]}", columns)

    def load_state(self, month: Month, seq: int, in_place: bool = False, recomputed: int | None = None) -> None:
        """Start from the state saved at the end of ``month`` (the work tables just created, empty).
        ``in_place`` (the close on the database that holds the state): the tables of ``IN_PLACE`` are not
        copied; the close reads and changes their saved state instead. ``recomputed``: the units of
        ``ce_scope`` were recomputed through ``month`` (:func:`recompute_units`, its ``cu_*`` tables, the
        items numbered up to ``recomputed``): their rows replace the saved ones."""
        self.t.create("ce_prev", PREV_COLUMNS_TYPED)
        if in_place:
            self.in_place, self.base, self.pbase = True, IN_PLACE["ce_base"], IN_PLACE["ce_pbase"]
        others = " WHERE unit_id NOT IN (SELECT unit_id FROM ce_scope)" if recomputed is not None else ""
        for work, (state, columns) in STATE_TABLES.items():
            if in_place and work in IN_PLACE:
                if recomputed is not None:
                    self.t.delete(state, f"{state}.unit_id IN (SELECT unit_id FROM ce_scope)")
                    self.t.insert(state, f"SELECT {columns} FROM cu_{work[3:]} ORDER BY {STATE_ORDER[work]}", columns)
                continue
            self.t.insert(work, f"SELECT {columns} FROM {state}{others} ORDER BY id", columns)
            if recomputed is not None:
                self.t.insert(work, f"SELECT {columns} FROM cu_{work[3:]} ORDER BY {STATE_ORDER[work]}", columns)
        self.assessed = month
        # a recomputed unit's items are numbered in the order a close from the first month numbers them; its
        # new ones must come after them, as they come after every older item there
        self.seq = max(seq, recomputed or 0)

    # --- writing the ledger ------------------------------------------------------------------------------
    def write_ledger(self, through: Month, closed: Month | None, resumed: bool = False,
                     recomputed: bool = False) -> int:
        """Append to the ledger what differs, key by key, from what it holds (see posting.py).
        ``resumed``: the close started from the state of the closed months, whose data did not change
        (resume_state checked it), so they need no corrections and ``ce_entry`` holds none of them;
        ``recomputed``: but for the units of ``ce_scope``, recomputed from their first month
        (:func:`recompute_units`), whose closed months ``ce_entry`` holds: theirs are corrected, as a close
        from the first month corrects them."""
        d = self.d
        key = "period, posted_on, kind, fund, target, month, late_from, payment_id, source"
        rkey = "kind, fund, target, month, late_from, payment_id, source"
        scope = "COALESCE(e.for_period, e.period)"
        open_cond = f"period > {self.m(closed)}" if closed else "1 = 1"
        # the same rows as the COALESCE alone (for_period is never after period); on PostgreSQL the
        # plain period bound lets the planner skip the ledger's closed years (it is partitioned by period)
        open_have = f"{scope} > {self.m(closed)} AND e.period > {self.m(closed)}" if closed else "1 = 1"
        # the rows each INSERT wrote, as the cursor counts them (not two COUNT(*)s of the whole ledger)
        written = [self.t.execute(f"""INSERT INTO contributions_ledgerentry
  (unit_id, {key}, amount, detail, is_correction, for_period, created_at)
SELECT unit_id, {key}, SUM(amount), COALESCE({d.json_max('detail')}, {d.empty_json}),
       CASE WHEN MAX(had) = 1 THEN {d.true} ELSE {d.false} END, NULL, {d.now()}
FROM (
  SELECT unit_id, {key}, amount, detail, 0 AS had FROM ce_entry WHERE {open_cond}
  UNION ALL
  SELECT e.unit_id, e.period, e.posted_on, e.kind, e.fund, e.target, e.month, e.late_from, e.payment_id,
         e.source, -e.amount, NULL, 1 FROM contributions_ledgerentry e
  WHERE e.period <= {self.m(through)} AND {open_have}
) x
GROUP BY unit_id, {key}
HAVING SUM(amount) <> 0""")]
        if closed and (not resumed or recomputed):
            opening = closed + 1
            only = " AND e.unit_id IN (SELECT unit_id FROM ce_scope)" if resumed else ""
            written.append(self.t.execute(f"""INSERT INTO contributions_ledgerentry
  (unit_id, {key}, amount, detail, is_correction, for_period, created_at)
SELECT unit_id, {self.m(opening)}, {self.dt(opening.first_day)}, {rkey}, SUM(amount),
       COALESCE({d.json_max('detail')}, {d.empty_json}),
       {d.true}, {self.m(closed)}, {d.now()}
FROM (
  SELECT unit_id, {rkey}, amount, detail FROM ce_entry WHERE period <= {self.m(closed)}
  UNION ALL
  SELECT e.unit_id, e.kind, e.fund, e.target, e.month, e.late_from, e.payment_id, e.source, -e.amount, NULL
  FROM contributions_ledgerentry e WHERE {scope} <= {self.m(closed)}{only}
) x
GROUP BY unit_id, {rkey}
HAVING SUM(amount) <> 0"""))
        return sum(written)


def earliest(tables: Tables, dialect: Dialect, cutoff: date) -> Month | None:
    rows = tables.fetchall(f"""SELECT MIN(m) FROM (
  SELECT MIN(from_month) AS m FROM registry_participation
  UNION ALL SELECT MIN(paid_on) FROM contributions_payment WHERE paid_on <= {dialect.date(cutoff)}) x""")
    row = rows[0] if rows else None
    if not row or row[0] is None:
        return None
    value = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0])[:10])
    return Month.of(value)


def compute(engine: SetClose, through: Month, progress: bool = False, resume: Any = None,
            in_place: bool = False, recomputed: int | None = None) -> int:
    """Run every month from the first with data through ``through``: the result is in ``ce_entry``.
    ``resume``: a :class:`~sicollect.close.models.CloseState` to start from (the months after its
    month only; ``in_place``, ``recomputed``: see :meth:`SetClose.load_state`). Returns the number of months
    computed (0: no data)."""
    first = earliest(engine.t, engine.d, through.last_day)
    if first is None:
        return 0
    t = time.perf_counter()
    engine.create_tables(first, through)  # rules and deadlines from the first month: adjustments reach back
    engine.start = first
    if resume is not None:
        state_month = Month.of(resume.month)
        engine.load_state(state_month, resume.seq, in_place, recomputed)
        engine.start = state_month + 1
        engine.summary.resumed_from = state_month
    engine.summary.add("setup", time.perf_counter() - t)
    months = [Month.from_index(i) for i in range(engine.start.index, through.index + 1)]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(months, desc=f"close ({engine.d.name})", unit="month")
    for period in months:
        engine.month(period, through.last_day)
        if bar:
            bar.update(1)
            bar.set_postfix_str(str(period))
    if bar:
        bar.close()
    engine.summary.months = len(months)
    return len(months)


class MonthEndDebts(Mapping[date, list[Any]]):
    """The units' debts at each month end the SQL close computed (``ce_debt``), as ``contributions.debts.UnitDebt``,
    read one month end at a time when asked for (memory: one month end's units, not the whole close's).
    Valid in the close's connection and transaction, where the work table lives."""

    def __init__(self, days: list[date], dialect: Dialect) -> None:
        self.days = days
        self.d = dialect

    def __getitem__(self, day: date) -> list[Any]:
        return [unit_debt(unit_id, status, outstanding, late, oldest, day)
                for unit_id, status, outstanding, late, oldest in self.rows(day)]

    def rows(self, day: date) -> list[tuple[Any, ...]]:
        """(unit_id, status, outstanding, late, oldest late-from date) of every unit owing at ``day``'s
        end: the rows of the ledger's debt query (``contributions.debts.DEBT_SQL``) on that day."""
        if day not in self.days:
            raise KeyError(day)
        with connection.cursor() as cur:
            cur.execute(f"""SELECT d.unit_id, u.status, d.outstanding, d.late, d.oldest
FROM ce_debt d JOIN registry_unit u ON u.id = d.unit_id
WHERE d.as_of = {self.d.date(day)} AND (d.outstanding <> 0 OR d.late <> 0) ORDER BY d.unit_id""")
            return list(cur.fetchall())

    def __contains__(self, day: object) -> bool:  # without reading the rows (Mapping's would)
        return day in self.days

    def __iter__(self) -> Iterator[date]:
        return iter(self.days)

    def __len__(self) -> int:
        return len(self.days)


def month_end_debts(engine: SetClose, through: Month) -> MonthEndDebts:
    """The month ends the close computed debts for (see :class:`MonthEndDebts`)."""
    first = engine.start or earliest(engine.t, engine.d, through.last_day)
    start = first.index if first else through.index + 1
    return MonthEndDebts([Month.from_index(i).last_day for i in range(start, through.index + 1)], engine.d)


# --- resuming from the last close ---------------------------------------------------------------------
#: what the fingerprint reads, per input table: its columns and rows (``{known}``: the row is known by the day)
FINGERPRINT_QUERIES = (
    # each row with its unit's region, payment cycle and risk class (what the dues read of the unit)
    ("p.id, p.unit_id, p.person_id, p.from_month, p.to_month, p.wage, p.si, p.hi, p.ui, p.oadi, p.declared_on, "
     "p.retro_interest, u.region, u.payment_cycle, u.oadi_low_risk",
     "registry_participation p JOIN registry_unit u ON u.id = p.unit_id WHERE {known}",
     "COALESCE(p.declared_on, {epoch}) <= {last}"),
    ("p.id, p.unit_id, p.amount, p.paid_on", "contributions_payment p WHERE {known}", "p.paid_on <= {last}"),
)


def inputs_fingerprint(tables: SqlTables, book: RuleBook, first: Month, upto: Month) -> str:
    """SHA-256 of everything the close reads for the months ``first`` … ``upto``: the participation rows
    declared by ``upto``'s end (or never dated) with their units' region, payment cycle and risk class,
    the payments paid by then, and the rules of those months (floors, caps, rates, deadlines, interest).
    SQLite: the rows as text, in id order; PostgreSQL: per query the count and the sum of a 64-bit
    hash of each row, computed in the server (region scale: millions of rows not sent to Python)."""
    return inputs_fingerprints(tables, book, {upto: first})[upto]


#: the columns that may be NULL (in the line of text of a row on SQLite: ``~``)
NULLABLE = {"p.to_month", "p.declared_on"}


def _line(columns: str, legacy: bool = False) -> str:
    """SQLite: a row as one line of text, ``|`` between the values, NULL as ``~``. One ``printf`` (not
    null columns as they are) costs a third of a CAST and a COALESCE per column joined by ``||``; the
    ``legacy`` line is that older one (the fingerprints of states saved before, still accepted)."""
    names = [c.strip() for c in columns.split(",")]
    if legacy:
        return " || '|' || ".join(f"COALESCE(CAST({c} AS TEXT), '~')" for c in names)
    values = ", ".join(f"COALESCE({c}, '~')" if c in NULLABLE else c for c in names)
    return f"printf('{'|'.join(['%s'] * len(names))}', {values})"


#: the columns of FINGERPRINT_QUERIES that are dates or booleans (the others are integers)
DATE_COLUMNS = {"p.from_month", "p.to_month", "p.declared_on", "p.paid_on"}
BOOL_COLUMNS = {"p.si", "p.hi", "p.ui", "p.oadi", "p.retro_interest", "u.oadi_low_risk"}
#: the prime and the two bases of :func:`row_checksums`
_P, _BASES = 2_147_483_647, (48_271, 69_621)


def row_checksums(columns: str) -> tuple[str, str]:
    """SQL: two numbers per row, each in [0, 2^31 - 1), computed alike by PostgreSQL and DuckDB (integer
    arithmetic on BIGINT, no product over 2^62): the row's values (dates as days since 1970, booleans as
    0/1, NULL as -1) as a polynomial in a base modulo the prime 2^31 - 1, then ``h² + 3h`` modulo it, so
    that the sum over the rows changes when a value moves from one row to another (a linear sum would
    not). Summed over a table (:func:`_fingerprint_sql`) they tell a changed row with a chance of a
    miss of about 2^-62: a checksum against accidents, not a seal against someone forging rows."""
    a, b = (f"(({h} * {h}) % {_P} + 3 * {h}) % {_P}" for h in row_polynomials(columns))
    return a, b


def row_polynomials(columns: str) -> tuple[str, str]:
    """SQL: the two polynomials of :func:`row_checksums` (each row's values in a base modulo 2^31 - 1), before
    the square."""
    out = []
    for base in _BASES:
        terms = []
        for i, c in enumerate(col.strip() for col in columns.split(",")):
            if c in DATE_COLUMNS:
                v = f"COALESCE(CAST({c} - DATE '1970-01-01' AS BIGINT), -1)"
            elif c in BOOL_COLUMNS:
                v = f"CAST(CASE WHEN {c} THEN 1 WHEN NOT {c} THEN 0 ELSE -1 END AS BIGINT)"
            else:
                v = f"COALESCE(CAST({c} AS BIGINT), -1)"
            terms.append(f"(({v} % {_P} + {_P}) % {_P}) * {pow(base, i + 1, _P)} % {_P}")
        out.append(f"(({' + '.join(terms)}) % {_P})")
    return out[0], out[1]


def _checksum_rows(columns: str, rows: str, conds: list[str], lead: str = "") -> tuple[str, list[str]]:
    """SQL: ``rows`` as the subquery ``x`` of each row's two polynomials (``ha``, ``hb``) and a flag ``k{i}``
    per condition of ``conds``, after the columns ``lead`` (e.g. ``p.unit_id AS unit_id, ``); and the two
    checksums of a row of ``x``, to be summed. The polynomials are computed once, in a subquery that
    ``OFFSET 0`` keeps PostgreSQL from folding into the sums (it would spell each out again in every SUM:
    ``h² + 3h`` names h three times, and each month's FILTERed sum again), and squared as ``h (h + 3)``:
    the same numbers as :func:`row_checksums` (h < 2^31, so the product stays under 2^62)."""
    ha, hb = row_polynomials(columns)
    flags = "".join(f", CASE WHEN {c} THEN 1 ELSE 0 END AS k{i}" for i, c in enumerate(conds))
    mix = [f"((x.{h} * (x.{h} + 3)) % {_P})" for h in ("ha", "hb")]
    return f"(SELECT {lead}{ha} AS ha, {hb} AS hb{flags} FROM {rows} OFFSET 0) x", mix


def checksum_sums_sql(columns: str, rows: str, conds: list[str]) -> str:
    """SQL: for each of ``conds`` (on ``rows``' columns) and then for all ``rows``, the count and the two sums of
    :func:`row_checksums`, in one pass over :func:`_checksum_rows` (a sixth of the arithmetic for two months)."""
    x, mix = _checksum_rows(columns, rows, conds)
    parts = "".join(f"COUNT(*) FILTER (WHERE x.k{i} = 1), " + "".join(f"SUM({m}) FILTER (WHERE x.k{i} = 1), " for m in mix)
                    for i in range(len(conds)))
    return f"SELECT {parts}COUNT(*), {', '.join(f'SUM({m})' for m in mix)} FROM {x}"


def _fingerprint_sql(d: Dialect, columns: str, rows: str, legacy: bool = False) -> str:
    """The query whose result the fingerprint hashes for one input table (its text is hashed too).
    PostgreSQL and DuckDB (over its copies of the tables, ``close.sql.duck``): the count and the sums of
    :func:`row_checksums` (the same for the same rows, in any order; ``legacy``: PostgreSQL's 64-bit hash of
    each row's text, summed, as states saved before the checksums (7 Dec 2026) were fingerprinted)."""
    if d.name in ("postgresql", "duckdb") and not legacy:
        a, b = row_checksums(columns)
        return f"SELECT COUNT(*), SUM({a}), SUM({b}) FROM {rows}"
    if d.name == "postgresql":
        return f"SELECT COUNT(*), SUM(hashtextextended(ROW({columns})::text, 0)) FROM {rows}"
    # SQLite has no hash function: each row as one line of text, all lines as one string, in id
    # order (fetching the rows as tuples costs ~10× more: every date is parsed)
    return (f"SELECT group_concat(line, char(10)) FROM (SELECT {_line(columns, legacy)} AS line FROM {rows} "
            "ORDER BY p.id)")


def inputs_fingerprints(tables: SqlTables, book: RuleBook, months: Mapping[Month, Month],
                        legacy: bool = False) -> dict[Month, str]:
    """:func:`inputs_fingerprint` for each ``upto`` → ``first`` of ``months``, the input tables read once
    for all of them (the close checks the state of the last closed month and saves the state of the
    month it closes: two fingerprints, one pass). Each is the hash of what its own queries
    (:func:`_fingerprint_sql`) return: the same value as computed alone. ``legacy``: as computed
    before 7 Dec 2026 (SQLite: :func:`_line`), to resume from a state saved then."""
    d = tables.d
    ends = sorted(months)
    hashes = {upto: hashlib.sha256() for upto in ends}
    epoch = d.date(date(1, 1, 1))
    for columns, rows, known in FINGERPRINT_QUERIES:
        conds = [known.format(epoch=epoch, last=d.date(upto.last_day)) for upto in ends]
        for upto, cond in zip(ends, conds):
            hashes[upto].update(_fingerprint_sql(d, columns, rows.format(known=cond), legacy).encode())
        widest = rows.format(known=conds[-1])  # the latest day's rows hold every earlier day's
        if d.name in ("postgresql", "duckdb"):
            if legacy:
                sums = [f"hashtextextended(ROW({columns})::text, 0)"]
                parts = ", ".join(f"COUNT(*) FILTER (WHERE {c}), "
                                  + ", ".join(f"SUM({h}) FILTER (WHERE {c})" for h in sums) for c in conds[:-1])
                sql = f"SELECT {parts + ', ' if parts else ''}COUNT(*), {', '.join(f'SUM({h})' for h in sums)} FROM {widest}"
            else:
                sql = checksum_sums_sql(columns, widest, conds[:-1])
            per = 2 if legacy else 3
            row = tables.fetchall(sql)[0]
            for i, upto in enumerate(ends):
                # as integers (PostgreSQL's SUM is a numeric, DuckDB's a HUGEINT): the same text from both
                part = row[per * i:per * i + per]
                hashes[upto].update(repr(tuple(part) if legacy else _ints(part)).encode())
        else:
            line = _line(columns, legacy)
            flags = "".join(f", CASE WHEN {c} THEN 1 END AS k{i}" for i, c in enumerate(conds[:-1]))
            parts = "".join(f"group_concat(CASE WHEN k{i} = 1 THEN line END, char(10)), "
                            for i in range(len(conds) - 1))
            sql = (f"SELECT {parts}group_concat(line, char(10)) "
                   f"FROM (SELECT {line} AS line{flags} FROM {widest} ORDER BY p.id)")
            row = tables.fetchall(sql)[0]
            for value, upto in zip(row, ends):
                # as the single query's batch gave it: the text, or the row (None,) when no row
                hashes[upto].update((value if isinstance(value, str) else repr((value,))).encode())
    for upto, first in months.items():
        _hash_rules(hashes[upto], book, first, upto)
    return {upto: h.hexdigest() for upto, h in hashes.items()}


#: PostgreSQL: the close's table of per-unit checksum sums of its inputs (:func:`unit_fingerprints`), for the
#: months it checks and saves; the saved state's own are kept in ``close_state_unitsum``
UNIT_SUMS = "ce_unitsum"


def _month_key(m: Month) -> str:
    return f"{m.year:04d}{m.month:02d}"


def unit_fingerprints(tables: SqlTables, book: RuleBook, months: Mapping[Month, Month]) -> dict[Month, str]:
    """PostgreSQL: :func:`inputs_fingerprints` of ``months`` from per-unit sums, in one pass grouped by unit
    (``ce_unitsum``: per input table ``q`` and unit, for each month ``M`` the count ``n_M`` and the two
    sums ``a_M``, ``b_M`` of :func:`row_checksums`). Summed over the units they are the sums the fingerprint
    hashes, so the fingerprints are the same values; the rows stay for :func:`units_changed_since` and for
    :func:`record_state`, which keeps the saved month's."""
    ends = sorted(months)
    epoch = tables.d.date(date(1, 1, 1))
    tables.drop(UNIT_SUMS)
    parts = []
    for q, (columns, rows, known) in enumerate(FINGERPRINT_QUERIES):
        conds = [known.format(epoch=epoch, last=tables.d.date(upto.last_day)) for upto in ends]
        x, mix = _checksum_rows(columns, rows.format(known=conds[-1]), conds, lead="p.unit_id AS unit_id, ")
        sums = ", ".join(f"COUNT(*) FILTER (WHERE x.k{i} = 1) AS n_{_month_key(m)}, "
                         f"SUM({mix[0]}) FILTER (WHERE x.k{i} = 1) AS a_{_month_key(m)}, "
                         f"SUM({mix[1]}) FILTER (WHERE x.k{i} = 1) AS b_{_month_key(m)}"
                         for i, m in enumerate(ends))
        parts.append(f"SELECT {q} AS q, x.unit_id, {sums} FROM {x} GROUP BY x.unit_id")
    tables.fill(UNIT_SUMS, " UNION ALL ".join(parts))
    totals = {}
    for m in ends:
        k = _month_key(m)
        for q, *sums in tables.fetchall(f"SELECT q, SUM(n_{k}), SUM(a_{k}), SUM(b_{k}) FROM {UNIT_SUMS} GROUP BY q"):
            totals[(int(q), m)] = _ints(sums)
    return _fingerprints_of_sums(tables.d, book, months, totals)


def _ints(values: Iterable[Any]) -> tuple[int | None, ...]:
    """A count and sums as integers, NULL as None (PostgreSQL's SUM is a numeric, DuckDB's a HUGEINT)."""
    return tuple(None if v is None else int(v) for v in values)


def _fingerprints_of_sums(d: Dialect, book: RuleBook, months: Mapping[Month, Month],
                          totals: Mapping[tuple[int, Month], tuple[Any, ...]]) -> dict[Month, str]:
    """The fingerprints :func:`inputs_fingerprints` computes on PostgreSQL, from each input table's count and
    sums at each month (``totals[(q, month)]``; none: no row, as ``COUNT``, ``SUM`` give it)."""
    ends = sorted(months)
    hashes = {upto: hashlib.sha256() for upto in ends}
    epoch = d.date(date(1, 1, 1))
    for q, (columns, rows, known) in enumerate(FINGERPRINT_QUERIES):
        for upto in ends:
            cond = known.format(epoch=epoch, last=d.date(upto.last_day))
            hashes[upto].update(_fingerprint_sql(d, columns, rows.format(known=cond)).encode())
        for upto in ends:
            n, a, b = totals.get((q, upto), (0, None, None))
            hashes[upto].update(repr((n, a, b) if n else (0, None, None)).encode())
    for upto, first in months.items():
        _hash_rules(hashes[upto], book, first, upto)
    return {upto: h.hexdigest() for upto, h in hashes.items()}


def units_changed_since(tables: SqlTables, book: RuleBook, state: Any, closed: Month, first: Month) -> list[int] | None:
    """PostgreSQL: the units whose inputs of the months through ``closed`` differ from those ``state`` read, by
    their sums now (``ce_unitsum``, :func:`unit_fingerprints` with ``closed``) against the state's
    (``close_state_unitsum``); None when the state's sums are not there or are not this state's (their
    fingerprint, with the rules in force now, is not the state's: another engine saved it, or the rules
    of a closed month changed)."""
    from sicollect.close.models import CloseStateUnitSum

    saved = {(int(q), closed): _ints(sums) for q, *sums in tables.fetchall(
        f"SELECT q, SUM(n), SUM(s1), SUM(s2) FROM {CloseStateUnitSum._meta.db_table} GROUP BY q")}
    if _fingerprints_of_sums(tables.d, book, {closed: first}, saved)[closed] != state.fingerprint:
        return None
    k = _month_key(closed)
    rows = tables.fetchall(f"""SELECT DISTINCT COALESCE(c.unit_id, s.unit_id) FROM
  (SELECT q, unit_id, n_{k} AS n, a_{k} AS a, b_{k} AS b FROM {UNIT_SUMS} WHERE n_{k} > 0) c
  FULL JOIN {CloseStateUnitSum._meta.db_table} s ON s.q = c.q AND s.unit_id = c.unit_id
WHERE c.unit_id IS NULL OR s.unit_id IS NULL OR c.n <> s.n OR c.a <> s.s1 OR c.b <> s.s2""")
    return sorted(int(r[0]) for r in rows)


def _hash_rules(h: Any, book: RuleBook, first: Month, upto: Month) -> None:
    """Add the rules of the months ``first`` … ``upto`` to the hash ``h`` (floors, caps, rates, deadlines, interest)."""
    for i in range(first.index, upto.index + 1):
        m = Month.from_index(i)
        h.update(repr((str(m), [(book.floor(r, m), [book.cap(f, r, m) for f in Fund]) for r in (1, 2, 3, 4)],
                       [(book.rate_ppm(f, m), book.rate_ppm(f, m, low_risk=True)) for f in Fund],
                       [book.deadline(c, m) for c in (1, 3, 6)], book.interest_on(m.last_day))).encode())
    h.update(repr(book.interest).encode())


# --- SQLite: the changes to closed months' inputs, counted by triggers ---------------------------------
#: the table whose one row counts the changes (``n``) and holds the last day of the month of the saved
#: state (``closed_end``: the rows known by then are what the state read). Not a model: the close creates
#: it and its triggers (:func:`input_changes`), and the triggers read no other table, so a migration that
#: rebuilds a model's table on SQLite (create, copy, drop, rename) is not stopped by them; one that
#: rebuilds a table they watch drops them with it, and the next close checks its state by the rows.
CHANGES_TABLE = "close_input_changes"
#: the units those changes belong to (each once), since the state was saved: the next close recomputes them
#: from their first month and resumes every other unit from the state (:func:`recompute_units`)
UNITS_TABLE = "close_input_units"
_CLOSED_END = f"(SELECT closed_end FROM {CHANGES_TABLE} WHERE id = 1)"
_BUMP = f"UPDATE {CHANGES_TABLE} SET n = n + 1 WHERE id = 1;"


def _note(*units: str) -> str:
    """SQL of a trigger's body: one more change, to the units ``units`` (NEW.unit_id, OLD.id, …)."""
    return _BUMP + "".join(f" INSERT OR IGNORE INTO {UNITS_TABLE} (unit_id) VALUES ({u});" for u in units)


_P_COLS = ("id", "unit_id", "person_id", "from_month", "to_month", "wage", "si", "hi", "ui", "oadi",
           "declared_on", "retro_interest")
_PAY_COLS = ("id", "unit_id", "amount", "paid_on")
_U_COLS = ("region", "payment_cycle", "oadi_low_risk")


def _known(row: str, table: str) -> str:
    """SQL: ``row`` (NEW or OLD) of ``table`` is one the saved state read (FINGERPRINT_QUERIES' ``known``;
    NULL, not true, before any state was saved)."""
    day = f"COALESCE({row}.declared_on, '0001-01-01')" if table == "p" else f"{row}.paid_on"
    return f"{day} <= {_CLOSED_END}"


def _differs(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


#: trigger name → its SQL: every insert, change or removal of a row the saved state read (a participation
#: declared by its month's end, or never dated; a payment paid by then; a unit's region, payment cycle or
#: risk class once a state was saved) adds one to the count
CHANGE_TRIGGERS = {
    "close_ic_part_ins": f"""AFTER INSERT ON registry_participation WHEN {_known('NEW', 'p')}
BEGIN {_note('NEW.unit_id')} END""",
    "close_ic_part_del": f"""AFTER DELETE ON registry_participation WHEN {_known('OLD', 'p')}
BEGIN {_note('OLD.unit_id')} END""",
    "close_ic_part_upd": f"""AFTER UPDATE OF {', '.join(_P_COLS)} ON registry_participation
WHEN ({_known('OLD', 'p')} OR {_known('NEW', 'p')}) AND ({_differs(_P_COLS)})
BEGIN {_note('OLD.unit_id', 'NEW.unit_id')} END""",
    "close_ic_pay_ins": f"""AFTER INSERT ON contributions_payment WHEN {_known('NEW', 'pay')}
BEGIN {_note('NEW.unit_id')} END""",
    "close_ic_pay_del": f"""AFTER DELETE ON contributions_payment WHEN {_known('OLD', 'pay')}
BEGIN {_note('OLD.unit_id')} END""",
    "close_ic_pay_upd": f"""AFTER UPDATE OF {', '.join(_PAY_COLS)} ON contributions_payment
WHEN ({_known('OLD', 'pay')} OR {_known('NEW', 'pay')}) AND ({_differs(_PAY_COLS)})
BEGIN {_note('OLD.unit_id', 'NEW.unit_id')} END""",
    "close_ic_unit_upd": f"""AFTER UPDATE OF id, {', '.join(_U_COLS)} ON registry_unit
WHEN ({_differs(('id',) + _U_COLS)}) AND {_CLOSED_END} IS NOT NULL
BEGIN {_note('OLD.id', 'NEW.id')} END""",
    "close_ic_unit_del": f"""AFTER DELETE ON registry_unit WHEN {_CLOSED_END} IS NOT NULL
BEGIN {_note('OLD.id')} END""",
}


def input_changes(tables: Tables, closed: Month | None = None, check: bool = False) -> int | None:
    """SQLite: how many times a row the saved state read was added, changed or removed (the count the
    triggers :data:`CHANGE_TRIGGERS` keep); None when they were not all there (or, with ``check``, they
    did not watch the rows known by the end of ``closed``): they are created now, counting from 0 the
    changes to those rows, and what changed before cannot be told. Not on other databases (None)."""
    if tables.d.name != "sqlite":
        return None
    # the triggers as this code writes them (their text: an older definition is replaced)
    have = dict(tables.fetchall("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'close_ic_%'"))
    if have == {name: f"CREATE TRIGGER {name} {body}" for name, body in CHANGE_TRIGGERS.items()}:
        row = tables.fetchall(f"SELECT n, closed_end FROM {CHANGES_TABLE} WHERE id = 1")
        if row and (not check or (closed is not None and str(row[0][1]) == closed.last_day.isoformat())):
            return int(row[0][0])
    for name in have:
        tables.execute(f"DROP TRIGGER {name}")
    tables.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")
    tables.execute(f"DROP TABLE IF EXISTS {UNITS_TABLE}")
    tables.execute(f"CREATE TABLE {CHANGES_TABLE} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL, closed_end DATE)")
    tables.execute(f"CREATE TABLE {UNITS_TABLE} (unit_id INTEGER PRIMARY KEY)")
    end = tables.d.date(closed.last_day) if closed is not None else "NULL"
    tables.execute(f"INSERT INTO {CHANGES_TABLE} (id, n, closed_end) VALUES (1, 0, {end})")
    for name, body in CHANGE_TRIGGERS.items():
        tables.execute(f"CREATE TRIGGER {name} {body}")
    return None


def track_changes_from(tables: Tables, through: Month) -> None:
    """SQLite: the triggers count from now on, from 0, the changes to the rows known by the end of ``through``
    (the month of the state being saved), and note their units afresh."""
    input_changes(tables, through)
    tables.execute(f"UPDATE {CHANGES_TABLE} SET n = 0, closed_end = {tables.d.date(through.last_day)} WHERE id = 1")
    tables.execute(f"DELETE FROM {UNITS_TABLE}")


def _count_kept(tables: Tables, closed: Month) -> int | None:
    """SQLite: the triggers' count of changes since the state of ``closed`` was saved, as they left it (None:
    no count, or one kept for another month), whatever their text."""
    if not tables.scalar(f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{CHANGES_TABLE}'"):
        return None
    row = tables.fetchall(f"SELECT n, closed_end FROM {CHANGES_TABLE} WHERE id = 1")
    return int(row[0][0]) if row and str(row[0][1]) == closed.last_day.isoformat() else None


def changed_units(tables: Tables) -> list[int]:
    """SQLite: the units whose closed months' inputs changed since the state was saved (the triggers' note)."""
    return [int(r[0]) for r in tables.fetchall(f"SELECT unit_id FROM {UNITS_TABLE} ORDER BY unit_id")]


def tracked_fingerprints(book: RuleBook, months: Mapping[Month, Month], changes: int) -> dict[Month, str]:
    """SQLite with the triggers in place: the fingerprint of ``upto`` → ``first`` of ``months`` without
    reading a row: the count of changes to the closed months' inputs (:func:`input_changes`) and the
    rules of the months (as :func:`inputs_fingerprints` hashes them). Equal to a state's saved one when
    no row a closed month read was added, changed or removed since it was saved."""
    out = {}
    for upto, first in months.items():
        h = hashlib.sha256(f"input changes {changes}\n".encode())
        _hash_rules(h, book, first, upto)
        out[upto] = h.hexdigest()
    return out


#: Functions that copy a saved state kept in a file (``CloseState.kept_in == "file"``: the DuckDB close's,
#: registered by ``close.sql.duck``) into the ``close_state_*`` tables, for an engine that reads them there;
#: each returns False when it cannot (no such file, another state's): the close then starts from the first month
STATE_FILE_READERS: list[Callable[[Any], bool]] = []


def _state_in_tables(state: Any) -> Any:
    """``state``, its rows in the ``close_state_*`` tables (copied there from its file when kept in one), or None."""
    if state is None or state.kept_in == "database":
        return state
    return state if any(read(state) for read in STATE_FILE_READERS) else None


def resume_state(tables: SqlTables, book: RuleBook, closed: Month | None, through: Month | None = None,
                 fingerprints: dict[Month, str] | None = None, in_file: bool = False,
                 rows_in: SqlTables | None = None, changed: list[int] | None = None) -> Any:
    """The saved state to start from, when there is one for ``closed`` (the last closed month) and
    nothing the close read for the closed months has changed since it was saved: no input row added,
    changed or removed (fingerprint), no ledger row for a closed month written since. Else None: the
    close recomputes every month and books what changed in the open month.

    ``changed`` (a list, from a close that can recompute some units and resume the others: the SQL close,
    :func:`recompute_units`): the state is returned also when what changed belongs to known units, and
    their ids are put in the list: the units of the ledger rows written since for a closed month, and on
    SQLite the units the triggers noted (the rules of the closed months unchanged). Without it any
    change means None.

    ``through`` (the month being closed) and ``fingerprints`` (a dict): the fingerprint of ``through``,
    which the close records with the state it saves (:func:`record_state`), is computed in the same pass
    over the inputs and put in ``fingerprints`` (the close's inputs do not change during it).

    On SQLite the fingerprint reads no row: the triggers :data:`CHANGE_TRIGGERS` count every change to
    the closed months' inputs from the save on (:func:`tracked_fingerprints`: the state's holds while the
    count is 0). A state saved before they were there is checked once more by its rows
    (:func:`inputs_fingerprints`, then the triggers are created).

    A state kept in the DuckDB close's file is copied into the ``close_state_*`` tables before it is
    returned (:data:`STATE_FILE_READERS`), unless ``in_file`` (the DuckDB close, which reads the file).

    ``rows_in``: where the fingerprint reads the input rows on PostgreSQL, when not in ``tables``: the DuckDB
    close's copies of them (the same sums, :func:`row_checksums`; 2 s instead of 25 s nationally). A state
    fingerprinted before the checksums (7 Dec 2026) is checked once more as it was (``legacy``) before it is given up."""
    from sicollect.close.models import CloseState

    state = CloseState.objects.filter(month=closed.first_day).first() if closed is not None else None
    units: list[int] = []  # the units to recompute from their first month
    if tables.d.name == "postgresql":
        tables.drop(UNIT_SUMS)  # a temporary table lives as long as the connection: none of another close's
    if state is not None:
        # by the ids after the state's (no DISTINCT: SQLite would walk the unit index for it, 0.2 s a month)
        later = tables.fetchall(f"""SELECT unit_id FROM contributions_ledgerentry
WHERE id > {int(state.ledger_max_id)} AND COALESCE(for_period, period) <= {tables.d.date(closed.first_day)}""")
        if later and changed is None:
            state = None
        units = sorted({int(r[0]) for r in later})
    wanted: dict[Month, Month] = {}
    rows = rows_in if rows_in is not None and tables.d.name == "postgresql" else tables
    if state is not None:
        first = earliest(rows, rows.d, closed.last_day)
        if first is None:
            state = None
        else:
            wanted[closed] = first
    if through is not None and fingerprints is not None:
        first_through = earliest(rows, rows.d, through.last_day)
        if first_through is not None:
            wanted[through] = first_through
    if not wanted:
        return None

    def resumed() -> Any:
        found = state if in_file else _state_in_tables(state)
        if found is not None and changed is not None:
            changed.extend(sorted(set(units)))
        return found

    sqlite = tables.d.name == "sqlite"
    # the count kept by triggers of an older text (they are replaced now, counting from 0): a state saved
    # with it still holds when they counted no change since (its fingerprint is of that count)
    before = _count_kept(tables, closed) if sqlite and state is not None else None
    changes = input_changes(tables, closed, check=state is not None) if sqlite else None
    if sqlite:
        if fingerprints is not None and through in wanted:
            # the count the state of ``through`` is saved with: :func:`record_state` starts it from 0
            fingerprints.update(tracked_fingerprints(book, {through: wanted[through]}, 0))
        if state is None:
            return None
        if changes is not None:
            if tracked_fingerprints(book, {closed: wanted[closed]}, changes)[closed] == state.fingerprint:
                return resumed()
            if changed is not None and changes and \
                    tracked_fingerprints(book, {closed: wanted[closed]}, 0)[closed] == state.fingerprint:
                units += changed_units(tables)  # the rules held: only these units' rows changed
                return resumed()
            return None
        if before is not None and tracked_fingerprints(book, {closed: wanted[closed]}, before)[closed] == state.fingerprint:
            return resumed()
        # the triggers were not there: the state's fingerprint is of the rows
        found = inputs_fingerprints(tables, book, {closed: wanted[closed]})
        if not _fingerprint_holds(tables, book, state, closed, wanted[closed], found[closed]):
            return None
        return resumed()
    # PostgreSQL: the SQL close sums its inputs per unit (the same fingerprints), to tell which units changed
    by_unit = changed is not None and tables.d.name == "postgresql" and rows is tables
    found = unit_fingerprints(tables, book, wanted) if by_unit else inputs_fingerprints(rows, book, wanted)
    if fingerprints is not None and through in found:
        fingerprints[through] = found[through]
    if state is None:
        return None
    if found[closed] == state.fingerprint:
        return resumed()
    if by_unit:
        moved = units_changed_since(tables, book, state, closed, wanted[closed])
        if moved is not None:
            units += moved
            return resumed()
    if _fingerprint_holds(tables, book, state, closed, wanted[closed], found[closed]):  # fingerprinted the old way
        return resumed()
    return None


def _fingerprint_holds(tables: SqlTables, book: RuleBook, state: Any, closed: Month, first: Month, found: str) -> bool:
    """``found`` (the inputs' fingerprint now) is ``state``'s, or the state was fingerprinted the older way
    (``legacy``: SQLite's text lines before the printf, PostgreSQL's text hash before the checksums) and that
    one, taken again over ``tables``, is."""
    if found == state.fingerprint:
        return True
    if tables.d.name not in ("sqlite", "postgresql"):
        return False
    return inputs_fingerprints(tables, book, {closed: first}, legacy=True)[closed] == state.fingerprint


def save_state(engine: SetClose, through: Month, fingerprint: str | None = None) -> None:
    """Keep the work tables as the month ``through`` left them, for the next month's close."""
    engine.save_state()
    record_state(engine.t, engine.book, through, engine.seq, fingerprint)


def record_state(tables: SqlTables, book: RuleBook, through: Month, seq: int, fingerprint: str | None = None,
                 kept_in: str = "database") -> Any:
    """The :class:`~sicollect.close.models.CloseState` of the ``close_state_*`` rows just saved (the
    work tables at the end of ``through``): its fingerprint of the inputs (``fingerprint`` when the close
    computed it already, :func:`resume_state`) and the ledger's last row, over the database's tables
    (``tables``), after the ledger was written; ``kept_in``: where the rows are (the DuckDB close: "file").
    Returns it."""
    from sicollect.close.models import CloseState

    if tables.d.name == "sqlite":
        # from now on the triggers count, from 0, the changes to the rows known by the end of ``through``
        track_changes_from(tables, through)
        if fingerprint is None:
            first = earliest(tables, tables.d, through.last_day)
            assert first is not None  # the close computed at least one month
            fingerprint = tracked_fingerprints(book, {through: first}, 0)[through]
    elif fingerprint is None:
        first = earliest(tables, tables.d, through.last_day)
        assert first is not None  # the close computed at least one month
        fingerprint = inputs_fingerprint(tables, book, first, through)
    if tables.d.name == "postgresql":
        from sicollect.close.models import CloseStateUnitSum

        table = CloseStateUnitSum._meta.db_table
        tables.empty(table)
        k = _month_key(through)
        # this close's sums (resume_state; this session's temporary schema), with ``through``'s
        if tables.scalar(f"SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass('pg_temp.{UNIT_SUMS}') "
                         f"AND attname = 'n_{k}'"):
            tables.insert(table, f"SELECT q, unit_id, n_{k}, a_{k}, b_{k} FROM {UNIT_SUMS} WHERE n_{k} > 0 "
                                 "ORDER BY q, unit_id", "q, unit_id, n, s1, s2")
    CloseState.objects.all().delete()
    return CloseState.objects.create(
        month=through.first_day, seq=seq, fingerprint=fingerprint, kept_in=kept_in, token=uuid.uuid4().hex,
        ledger_max_id=int(tables.scalar("SELECT COALESCE(MAX(id), 0) FROM contributions_ledgerentry") or 0))


#: the tables the close reads, each with the column that names its unit (:func:`recompute_units` reads them
#: through views that keep the rows of some units)
INPUT_UNIT_COLUMN = {"registry_unit": "id", "registry_participation": "unit_id", "contributions_payment": "unit_id"}


def recompute_units(tables: SqlTables, book: RuleBook, closed: Month, units: list[int]) -> int:
    """The units ``units``, computed from their first month through ``closed`` as a close from the first month
    computes them (units are independent: nothing of one unit enters another's figures), into ``cu_*`` copies
    of the work tables (``cu_item`` … ``cu_pbase`` and ``cu_entry``), with ``ce_scope`` holding the units;
    :meth:`SetClose.load_state` and :meth:`SetClose.write_ledger` then take their rows for those units.
    The close's SQL reads its inputs by name, so for this run temporary views of the same names, kept to the
    units' rows, stand before the tables (SQLite and PostgreSQL look a name up in the temporary schema
    first). Returns the last number given to an item (their order within a unit is a full close's)."""
    d = tables.d
    tables.drop("ce_scope")
    tables.create("ce_scope", "unit_id BIGINT PRIMARY KEY")
    for i in range(0, len(units), 1000):
        tables.insert("ce_scope", "VALUES " + _values((str(int(u)),) for u in units[i:i + 1000]))
    if d.name == "sqlite":
        home, temp = "main", "temp"
    else:
        home, temp = str(tables.scalar("SELECT current_schema()")), "pg_temp"
    try:
        for table, column in INPUT_UNIT_COLUMN.items():
            tables.execute(f"CREATE TEMPORARY VIEW {table} AS SELECT * FROM {home}.{table} "
                           f"WHERE {column} IN (SELECT unit_id FROM ce_scope)")
        part = SetClose(book, d, tables)
        if not compute(part, closed):  # no row of theirs at all: empty tables of the same columns
            part.create_tables(closed, closed)
            tables.create("ce_prev", PREV_COLUMNS_TYPED)
    finally:
        for table in INPUT_UNIT_COLUMN:
            tables.execute(f"DROP VIEW IF EXISTS {temp}.{table}")
    for work in [*STATE_TABLES, "ce_entry"]:
        tables.drop(f"cu_{work[3:]}")
        tables.fill(f"cu_{work[3:]}", f"SELECT * FROM {work}")
    return part.seq


def run_close(through: Month, closed_through: Month | None = None, progress: bool = False,
              book: RuleBook | None = None, resume: bool = True) -> EngineResult:
    """Compute every open month through ``through`` for all units; write the ledger's differences.

    With ``resume`` (default) and a saved state for ``closed_through`` whose inputs did not change, the
    close starts from it (the open months only); else from the first month with data. When what changed
    belongs to known units (:func:`resume_state`'s ``changed``), those units are recomputed from their first
    month (:func:`recompute_units`) and the others start from the state: their corrections are booked in the
    open month as a close from the first month books them. Either way it saves its state at ``through``
    for the next close."""
    book = book or load_rulebook()
    dialect = dialect_for(connection.vendor)
    with connection.cursor() as cur, SqlTables(cur, dialect).large_cache() as tables:
        engine = SetClose(book, dialect, tables)
        t = time.perf_counter()
        fingerprints: dict[Month, str] = {}
        changed: list[int] = []
        state = resume_state(tables, book, closed_through if resume else None, through, fingerprints,
                             changed=changed)
        engine.summary.add("resume check", time.perf_counter() - t)
        inputs = ("registry_unit", "registry_participation", "contributions_payment")
        if state is None or not tables.has_statistics(*inputs):
            # a resumed close (one month's change) plans with the statistics the last close left
            tables.analyze(*inputs)
        recomputed = None
        if state is not None and changed:
            t = time.perf_counter()
            recomputed = recompute_units(tables, book, Month.of(state.month), changed)
            engine.summary.recomputed = len(changed)
            engine.summary.add("recompute changed units", time.perf_counter() - t)
        if not compute(engine, through, progress, resume=state, in_place=True, recomputed=recomputed):
            return EngineResult()
        if recomputed is not None:
            tables.insert("ce_entry", "SELECT * FROM cu_entry")  # their closed months, for the corrections
        engine.summary.debts = month_end_debts(engine, through)
        t = time.perf_counter()
        engine.summary.entries = engine.write_ledger(through, closed_through, resumed=state is not None,
                                                     recomputed=recomputed is not None)
        engine.summary.add("write ledger", time.perf_counter() - t)
        t = time.perf_counter()
        save_state(engine, through, fingerprints.get(through))
        engine.summary.add("save state", time.perf_counter() - t)
        engine.summary.units = int(engine.scalar("SELECT COUNT(*) FROM registry_unit"))
        # the persons' rows in force in ``through``, as its dues read them (saved in place or whole)
        engine.summary.persons = STATE_TABLES["ce_pbase"][0]
        return engine.summary


def close_engine(through: Month, closed_through: Month | None, progress: bool) -> EngineResult:
    """The engine hook of ``close.service.close`` (entries written and seconds per step)."""
    return run_close(through, closed_through, progress)
