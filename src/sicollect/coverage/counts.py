"""Who is covered at a date, by scheme, counted in one SQL statement for the whole province.

The KPI report, the plans' progress and the coverage pages all count participants here, so the
same person is counted the same way everywhere:

* compulsory SI, UI, HI, OADI: persons whose declaration in force for the month (the row declared
  last for that person and unit, declared on or before the date) has a wage and the scheme's flag;
* voluntary SI: persons with a voluntary enrolment covering the month;
* HI also counts members of a household HI list covering the month (budget-paid and supported
  groups included), each person once whatever the route;
* ``si_total``: distinct persons with compulsory or voluntary SI; ``persons``: covered by anything.

Every covered (person, scheme) comes as one row of ``COVERED_SQL`` with the office, the unit's
collection officer, the person's commune (else the household's) and the route (``unit``,
``voluntary``, ``household``); the counts group those rows by office, officer, commune, collection
point (voluntary and household rows of the point's commune and office) or not at all.

    >>> # a person in two units of one office counts once for the office and once for the province
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Q

from sicollect.core.cache import cached, table_fingerprint
from sicollect.core.months import Month

SCHEMES = ("si_compulsory", "si_voluntary", "si_total", "ui", "hi", "oadi", "persons")

#: Each person's declaration in force per unit in the month (``rn = 1``), declared by the date.
DECL_SQL = """
WITH decl AS (
  SELECT p.person_id, p.si, p.ui, p.hi, p.oadi, p.wage, u.office_id, u.officer_id,
         ROW_NUMBER() OVER (PARTITION BY p.person_id, p.unit_id
                            ORDER BY CASE WHEN p.declared_on IS NULL THEN 0 ELSE 1 END DESC,
                                     p.declared_on DESC, p.from_month DESC, p.id DESC) AS rn
  FROM registry_participation p JOIN registry_unit u ON u.id = p.unit_id
  WHERE p.from_month <= %(m)s AND (p.to_month IS NULL OR p.to_month >= %(m)s)
    AND (p.declared_on IS NULL OR p.declared_on <= %(d)s)
)"""

COVERED_SQL = DECL_SQL + """, comp AS (
  SELECT * FROM decl WHERE rn = 1 AND wage > 0
), raw AS (
  SELECT person_id, 'si_compulsory' AS scheme, office_id, officer_id, 'unit' AS via, CAST(NULL AS BIGINT) AS home FROM comp WHERE si
  UNION ALL SELECT person_id, 'ui', office_id, officer_id, 'unit', CAST(NULL AS BIGINT) FROM comp WHERE ui
  UNION ALL SELECT person_id, 'hi', office_id, officer_id, 'unit', CAST(NULL AS BIGINT) FROM comp WHERE hi
  UNION ALL SELECT person_id, 'oadi', office_id, officer_id, 'unit', CAST(NULL AS BIGINT) FROM comp WHERE oadi
  UNION ALL
  SELECT v.person_id, 'si_voluntary', v.office_id, CAST(NULL AS BIGINT), 'voluntary', CAST(NULL AS BIGINT) FROM coverage_voluntaryenrolment v
  WHERE v.from_month <= %(m)s AND (v.to_month IS NULL OR v.to_month >= %(m)s)
  UNION ALL
  SELECT m.person_id, 'hi', h.office_id, CAST(NULL AS BIGINT), 'household', h.commune_id
  FROM coverage_householdmember m JOIN coverage_household h ON h.id = m.household_id
  WHERE m.from_month <= %(m)s AND (m.to_month IS NULL OR m.to_month >= %(m)s)
), covered AS (
  SELECT r.person_id, r.scheme, r.office_id, r.officer_id, r.via, COALESCE(pe.commune_id, r.home) AS commune_id
  FROM raw r JOIN registry_person pe ON pe.id = r.person_id
)
"""

#: The same covered persons as ``COVERED_SQL``, one row per route with a 0/1 flag per scheme instead of
#: one row per scheme: counting them is one grouping by (key, person), not seven COUNT(DISTINCT …)
#: (on the province demo 0.7 s instead of 1.9 s a count). ``home``: the household's commune.
FLAGS_SQL = DECL_SQL + """, flags AS (
  SELECT person_id, office_id, officer_id, 'unit' AS via, CAST(NULL AS BIGINT) AS home,
         CASE WHEN si THEN 1 ELSE 0 END AS sc, 0 AS sv, CASE WHEN ui THEN 1 ELSE 0 END AS ui,
         CASE WHEN hi THEN 1 ELSE 0 END AS hi, CASE WHEN oadi THEN 1 ELSE 0 END AS oadi
  FROM decl WHERE rn = 1 AND wage > 0 AND (si OR ui OR hi OR oadi)
  UNION ALL
  SELECT v.person_id, v.office_id, CAST(NULL AS BIGINT), 'voluntary', CAST(NULL AS BIGINT), 0, 1, 0, 0, 0
  FROM coverage_voluntaryenrolment v
  WHERE v.from_month <= %(m)s AND (v.to_month IS NULL OR v.to_month >= %(m)s)
  UNION ALL
  SELECT m.person_id, h.office_id, CAST(NULL AS BIGINT), 'household', h.commune_id, 0, 0, 0, 1, 0
  FROM coverage_householdmember m JOIN coverage_household h ON h.id = m.household_id
  WHERE m.from_month <= %(m)s AND (m.to_month IS NULL OR m.to_month >= %(m)s)
)
"""

COMMUNE = "COALESCE(pe.commune_id, c.home)"  # the person's commune, else the household's
KEYS = {
    "province": ("0", ""),
    "office": ("c.office_id", ""),
    "officer": ("c.officer_id", "c.officer_id IS NOT NULL"),
    "commune": (COMMUNE, f"{COMMUNE} IS NOT NULL"),
    "point": ("a.id", ""),
}


def counts_by(by: str, as_of: date, office_ids: Iterable[int] | None = None) -> dict[Any, dict[str, int]]:
    """``{key: {scheme: persons}}`` covered in the month of ``as_of``, grouped ``by`` ``province``
    (key 0), ``office`` (office id), ``officer`` (user id), ``commune`` (commune id) or ``point``
    (collection agent id); ``office_ids`` keeps the rows of those offices only. One query: each
    person's flags per key (a person in two units of one office counts once there), then summed.

    At a closed month end the close kept the counts (:class:`~sicollect.coverage.models.CoverageCount`,
    :func:`stored_counts`): one small query. Elsewhere the counts of every office, and of the whole
    province, are kept in the cache while the data holds (:func:`cached_counts`): the KPI report of one office and the plans' progress by office read them
    from there (one office's counts are its row of the counts by office: each person once in the
    office, as the query with that office alone counts them)."""
    ids = list(office_ids) if office_ids is not None else None
    if ids is not None and not ids:
        return {}
    if by in ("office", "province"):
        kept = stored_counts(by, as_of, ids)
        if kept is not None:
            return kept
    if by == "office" or (by == "province" and ids is not None and len(ids) == 1):
        every = cached_counts("office", as_of)
        if by == "province":
            return {0: every[ids[0]]} if ids is not None and ids[0] in every else {}
        return {k: v for k, v in every.items() if ids is None or k in ids}
    if by == "province" and ids is None:
        return cached_counts("province", as_of)
    return query_counts(by, as_of, ids)


def coverage_fingerprint() -> tuple[Any, ...]:
    """What the counts read, as :func:`sicollect.core.cache.table_fingerprint` sees it, and which office
    and officer each unit belongs to: one query."""
    from sicollect.registry.models import Participation

    from .models import Household, HouseholdMember, VoluntaryEnrolment

    return table_fingerprint(Participation, VoluntaryEnrolment, Household, HouseholdMember, extra=(
        "SELECT SUM(office_id) FROM registry_unit", "SELECT SUM(officer_id) FROM registry_unit",
        "SELECT COUNT(*) FROM registry_unit"))


def cached_counts(by: str, as_of: date) -> dict[Any, dict[str, int]]:
    """:func:`query_counts` of every office (``by`` province or office), kept while the data holds."""
    return cached(f"counts:{by}:{as_of.isoformat()}", coverage_fingerprint(), lambda: query_counts(by, as_of, None))


def query_counts(by: str, as_of: date, ids: list[int] | None) -> dict[Any, dict[str, int]]:
    """The one query of :func:`counts_by`, run now."""
    key, cond = KEYS[by]
    params: dict[str, Any] = {"m": Month.of(as_of).first_day.isoformat(), "d": as_of.isoformat()}
    where = [cond] if cond else []
    if ids is not None:
        if not ids:
            return {}
        names = []
        for i, pk in enumerate(ids):
            params[f"o{i}"] = pk
            names.append(f"%(o{i})s")
        where.append(f"c.office_id IN ({', '.join(names)})")
    join = ""
    if by in ("commune", "point"):
        join = "JOIN registry_person pe ON pe.id = c.person_id"
    if by == "point":
        join += (f" JOIN coverage_collectionagent a ON a.commune_id = {COMMUNE} AND a.office_id = c.office_id "
                 "AND c.via IN ('voluntary', 'household')")
    group = "c.person_id" if by == "province" else f"{key}, c.person_id"
    sql = FLAGS_SQL + f"""
SELECT k, SUM(sc), SUM(sv), SUM(CASE WHEN sc + sv > 0 THEN 1 ELSE 0 END), SUM(ui), SUM(hi), SUM(oadi), COUNT(*)
FROM (
  SELECT {key} AS k, c.person_id, MAX(c.sc) AS sc, MAX(c.sv) AS sv, MAX(c.ui) AS ui, MAX(c.hi) AS hi,
         MAX(c.oadi) AS oadi
  FROM flags c {join}{(" WHERE " + " AND ".join(where)) if where else ""}
  GROUP BY {group}
) x
GROUP BY k"""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return {int(row[0]): dict(zip(SCHEMES, (int(x or 0) for x in row[1:]), strict=True)) for row in rows}


def zero() -> dict[str, int]:
    return dict.fromkeys(SCHEMES, 0)


def participant_counts(office_ids: Iterable[int] | None, as_of: date) -> dict[str, int]:
    """The counts of the whole province (``office_ids`` None) or of those offices together."""
    return counts_by("province", as_of, office_ids).get(0, zero())


# --------------------------------------------------------------------------- kept by the close

_MAXES = "MAX(c.sc) AS sc, MAX(c.sv) AS sv, MAX(c.ui) AS ui, MAX(c.hi) AS hi, MAX(c.oadi) AS oadi"
#: a group's sums as named columns (``st``: SI of either kind, ``n``: persons), the sums of those, and one
#: person's row of them
_SUMS_AS = ("SUM(sc) AS sc, SUM(sv) AS sv, SUM(CASE WHEN sc + sv > 0 THEN 1 ELSE 0 END) AS st, SUM(ui) AS ui, "
            "SUM(hi) AS hi, SUM(oadi) AS oadi, COUNT(*) AS n")
_TOTALS = "SUM(sc), SUM(sv), SUM(st), SUM(ui), SUM(hi), SUM(oadi), SUM(n)"
_ONE = "sc, sv, CASE WHEN sc + sv > 0 THEN 1 ELSE 0 END AS st, ui, hi, oadi, 1 AS n"
_OUTER = """SELECT %(d)s, k, scope, SUM(sc), SUM(sv), SUM(CASE WHEN sc + sv > 0 THEN 1 ELSE 0 END), SUM(ui), SUM(hi),
       SUM(oadi), COUNT(*)
FROM ({inner}) x
GROUP BY k, scope"""

_INSERT = "INSERT INTO coverage_coveragecount (as_of, office_id, scope, si_compulsory, si_voluntary, si_total, ui, hi, oadi, persons)\n"

#: The counts of :func:`query_counts` by office (``own``), by top office and every office under it (``tree``)
#: and for all (``all``) at one day, in one SELECT. PostgreSQL and DuckDB group each person's flags the three
#: ways in one pass over them (grouping sets); SQLite as its comment says.
SELECT_SQL = {
    "grouping": """
WITH {roots}, {flags}
""" + _OUTER.format(inner="""
  SELECT CASE WHEN GROUPING(c.office_id) = 0 THEN c.office_id WHEN GROUPING(r.root_id) = 0 THEN r.root_id END AS k,
         CASE WHEN GROUPING(c.office_id) = 0 THEN 'own' WHEN GROUPING(r.root_id) = 0 THEN 'tree' ELSE 'all' END AS scope,
         c.person_id, MAX(c.sc) AS sc, MAX(c.sv) AS sv, MAX(c.ui) AS ui, MAX(c.hi) AS hi, MAX(c.oadi) AS oadi
  FROM flags c JOIN roots r ON r.office_id = c.office_id
  GROUP BY GROUPING SETS ((c.office_id, c.person_id), (r.root_id, c.person_id), (c.person_id))"""),
    # SQLite, which has no grouping sets. Most persons hold one row of flags in all (one unit, no voluntary
    # or household route): their rows are summed by office as they are (``single``, a few rows); only the
    # persons with several rows (``multi``) are grouped by office and person (``op``), then by top office or
    # person, to count each once. On the province demo 0.41 s a day instead of 1.0 s for grouping every
    # person's rows the three ways.
    "other": """
WITH {roots}, {flags}, multi AS MATERIALIZED (
  SELECT person_id FROM flags GROUP BY person_id HAVING COUNT(*) > 1
), single AS MATERIALIZED (
  SELECT office_id, """ + _SUMS_AS + """
  FROM flags WHERE person_id NOT IN (SELECT person_id FROM multi) GROUP BY office_id
), op AS MATERIALIZED (
  SELECT c.office_id, c.person_id, """ + _MAXES + """ FROM flags c
  WHERE c.person_id IN (SELECT person_id FROM multi) GROUP BY c.office_id, c.person_id
)
SELECT %(d)s, office_id, 'own', """ + _TOTALS + """ FROM (
  SELECT office_id, sc, sv, st, ui, hi, oadi, n FROM single
  UNION ALL SELECT office_id, """ + _ONE + """ FROM op) x
GROUP BY office_id
UNION ALL
SELECT %(d)s, root_id, 'tree', """ + _TOTALS + """ FROM (
  SELECT r.root_id, s.sc, s.sv, s.st, s.ui, s.hi, s.oadi, s.n FROM single s JOIN roots r ON r.office_id = s.office_id
  UNION ALL
  SELECT root_id, """ + _ONE + """ FROM (
    SELECT r.root_id, c.person_id, """ + _MAXES + """ FROM op c JOIN roots r ON r.office_id = c.office_id
    GROUP BY r.root_id, c.person_id) y) x
GROUP BY root_id
UNION ALL
SELECT %(d)s, CAST(NULL AS BIGINT), 'all', """ + _TOTALS + """ FROM (
  SELECT sc, sv, st, ui, hi, oadi, n FROM single
  UNION ALL
  SELECT """ + _ONE + """ FROM (SELECT c.person_id, """ + _MAXES + """ FROM op c GROUP BY c.person_id) y) x
HAVING SUM(n) > 0""",
}

#: What the counts read, as a columnar engine copies them in (``close.engines.Columnar``: the DuckDB close's
#: copies, which hold the participations and units already)
COLUMNAR_TABLES: dict[str, list[tuple[str, str]]] = {
    "registry_participation": [("id", "BIGINT"), ("person_id", "BIGINT"), ("unit_id", "BIGINT"),
                               ("from_month", "DATE"), ("to_month", "DATE"), ("wage", "BIGINT"),
                               ("si", "BOOLEAN"), ("hi", "BOOLEAN"), ("ui", "BOOLEAN"), ("oadi", "BOOLEAN"),
                               ("declared_on", "DATE")],
    "registry_unit": [("id", "BIGINT"), ("office_id", "BIGINT"), ("officer_id", "BIGINT")],
    "coverage_voluntaryenrolment": [("person_id", "BIGINT"), ("office_id", "BIGINT"), ("from_month", "DATE"),
                                    ("to_month", "DATE")],
    "coverage_household": [("id", "BIGINT"), ("office_id", "BIGINT"), ("commune_id", "BIGINT")],
    "coverage_householdmember": [("household_id", "BIGINT"), ("person_id", "BIGINT"), ("from_month", "DATE"),
                                 ("to_month", "DATE")],
}


#: ``DECL_SQL``'s rows in force from the close's own table of them (``close.steps.Closed.persons``: each
#: person's row in force per unit in the month closed, declared by its end, with a wage), not from every
#: participation again: the same rows (``rn = 1 AND wage > 0``), a third of the count's time
DECL_FROM_CLOSE = """
WITH decl AS (
  SELECT b.person_id, b.si, b.ui, b.hi, b.oadi, b.wage, u.office_id, u.officer_id, 1 AS rn
  FROM {table} b JOIN registry_unit u ON u.id = b.unit_id
)"""


def write_counts(days: list[date], columnar: Any = None, persons: str = "", persons_day: date | None = None) -> int:
    """Keep the counts at each of ``days`` (closed month ends): the day's rows replaced, one INSERT … SELECT
    a day (and a row of zeros for all when nobody is covered: the ``all`` row says the day is kept).
    ``columnar``: a columnar engine's copies of the tables (``close.engines.Columnar``, left open by the
    DuckDB close), where the same SELECT runs and whose rows are inserted here (at national scale 22 M
    participations: seconds there, two minutes on PostgreSQL). ``persons``: the close's table of the rows
    in force at ``persons_day`` (``close.steps.Closed.persons``, the SQL close's), read instead of the
    participations for that day. Returns the rows written."""
    from .models import CoverageCount

    if columnar is not None:
        columnar.load(COLUMNAR_TABLES)
    written = 0
    for day in days:
        flags = FLAGS_SQL.strip()
        if persons and day == persons_day:
            flags = flags.replace(DECL_SQL.strip(), DECL_FROM_CLOSE.format(table=persons).strip(), 1)
        assert flags.startswith("WITH ")
        roots = top_offices()
        if not roots:
            return written
        values = ", ".join(f"({int(o)}, {int(r)})" for o, r in roots.items())  # ids from the database
        # each office's top office (``root_id``: the one without a parent above it, itself for a top office)
        way = "grouping" if columnar is not None or connection.vendor == "postgresql" else "other"
        sql = SELECT_SQL[way].format(
            roots=f"roots(office_id, root_id) AS (VALUES {values})", flags=flags[len("WITH "):])
        CoverageCount.objects.filter(as_of=day).delete()
        if columnar is not None:
            rows = columnar.rows(sql, {"m": Month.of(day).first_day, "d": day})
            CoverageCount.objects.bulk_create([
                CoverageCount(as_of=day, office_id=k, scope=scope, **dict(zip(SCHEMES, map(int, values), strict=True)))
                for _, k, scope, *values in rows])
            written += len(rows)
        else:
            with connection.cursor() as cur:
                cur.execute(_INSERT + sql, {"m": Month.of(day).first_day.isoformat(), "d": day.isoformat()})
                written += max(cur.rowcount, 0)
        if not CoverageCount.objects.filter(as_of=day, scope="all").exists():  # nobody covered: kept as 0 all the same
            CoverageCount.objects.create(as_of=day, scope="all", **zero())
            written += 1
    return written


def close_step(closed: Any) -> int:
    """After a close (registered in ``CoverageConfig.ready``): the counts at the last month end closed, at each
    December end closed, and at the end of the year before the last one's (the KPI report's "change since the
    previous year end") when not kept yet.

    A close of one month (the routine) counts that month. A close of many months at once (the first one)
    counts only those days: each count reads every participation (a minute on the national database), and
    the other months' reports count afresh when asked; ``sicollect kpi_summaries`` counts every closed month."""
    from .models import CoverageCount

    last = closed.months[-1]
    days = {last.last_day} | {m.last_day for m in closed.months if m.month == 12}
    before = date(last.year - 1, 12, 31)
    if not CoverageCount.objects.filter(as_of=before, scope="all").exists():
        days.add(before)
    return write_counts(sorted(days), getattr(closed, "columnar", None), getattr(closed, "persons", ""), last.last_day)


def stored_counts(by: str, as_of: date, ids: list[int] | None) -> dict[Any, dict[str, int]] | None:
    """:func:`counts_by` ``office`` or ``province`` from the counts the close kept at ``as_of``; None when it
    kept none that day (not a closed month end). One query."""
    from .models import CoverageCount

    qs = CoverageCount.objects.filter(as_of=as_of)
    if by == "office":
        qs = qs.filter(scope__in=("own", "all"))
    elif ids is None:
        qs = qs.filter(scope="all")
    elif len(ids) == 1:
        qs = qs.filter(Q(scope="all") | Q(scope="own", office_id=ids[0]))
    else:  # a top office and every office under it (Scope.office_ids): its ``tree`` row; other sets are counted
        root = subtree_root(ids)
        if root is None:
            return None
        qs = qs.filter(Q(scope="all") | Q(scope="tree", office_id=root))
    rows = list(qs.values_list("scope", "office_id", *SCHEMES))
    if not rows:
        return None
    out: dict[Any, dict[str, int]] = {}
    for scope, office_id, *values in rows:
        if scope == "all":
            if by == "province" and ids is None and any(values):  # as the query: no row when nobody is covered
                out[0] = dict(zip(SCHEMES, values, strict=True))
            continue
        if by == "office":
            if ids is None or office_id in ids:
                out[office_id] = dict(zip(SCHEMES, values, strict=True))
        else:
            out[0] = dict(zip(SCHEMES, values, strict=True))
    return out


def subtree_root(ids: list[int]) -> int | None:
    """The top office (no parent) whose subtree ``ids`` is exactly (itself and every office under it), else
    None. One query."""
    from sicollect.registry.models import Office

    parent = dict(Office.objects.values_list("pk", "parent_id"))
    wanted = set(ids)
    roots = [i for i in wanted if parent.get(i) not in wanted]
    if len(roots) != 1 or parent.get(roots[0]) is not None:
        return None
    below = {roots[0]}
    frontier = {roots[0]}
    while frontier:
        frontier = {o for o, p in parent.items() if p in frontier} - below
        below |= frontier
    return roots[0] if below == wanted else None


def top_offices() -> dict[int, int]:
    """{office id: its top office's id}. One query."""
    from sicollect.registry.models import Office

    parent = dict(Office.objects.values_list("pk", "parent_id"))
    out = {}
    for office in parent:
        top, seen = office, set()
        while parent.get(top) is not None and top not in seen:
            seen.add(top)
            top = parent[top]
        out[office] = top
    return out
