"""The plan tree: province → grassroots offices → collection points and collection officers.

Targets live in two tables: ``PlanTarget`` for offices (the province office has no parent) and
``Assignment`` for the points (``coverage.CollectionAgent`` of an office) and officers (users whose
``StaffProfile`` names the office with the role ``officer``). A *node* is ``(level, id)``: the
province is ``("province", 0)``.

A **cascade** splits a parent's targets over its children, by hand (values per child) or by a rule:
each child's share of a basis — ``last_year`` (the child's actual of the indicator last year),
``units`` (units managed), ``persons`` (persons covered at the end of last year). The split rounds
by largest remainder, so the children always sum to the parent to the đồng; ceilings (the debt
ratio ceiling) are copied, not split. Worked example (rule ``units``, revenue 100,000,000 over
offices with 1, 1 and 1 units): 33,333,334 + 33,333,333 + 33,333,333.

:func:`check` finds every split whose children do not sum to the parent and names the indicator and
the difference; a manual cascade or an import that would leave one is refused whole.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, Sum

from sicollect.core import audit
from sicollect.coverage.models import CollectionAgent
from sicollect.registry.models import Office, Unit
from sicollect.staff.models import Role

from .models import RATIO_INDICATORS, Assignment, Indicator, Level, PlanTarget

CHILD_LEVELS = {"offices": Level.OFFICE, "points": Level.POINT, "officers": Level.OFFICER}
RULES = ("manual", "last_year", "units", "persons")


class PlanError(ValueError):
    """A cascade or plan that cannot be applied; the message says why (and nothing was written)."""


@dataclass(frozen=True)
class Node:
    level: str
    id: int
    code: str
    name: str
    office_id: int | None  # the office it belongs to (itself for an office; None for the province)

    @property
    def key(self) -> tuple[str, int]:
        return (self.level, self.id)


def province_office() -> Office:
    office = Office.objects.filter(parent__isnull=True).order_by("code").first()
    if office is None:
        raise PlanError("no province office (an office without a parent) in the registry")
    return office


def officers_of(office_ids: Iterable[int] | None = None) -> Any:
    qs = get_user_model().objects.filter(staff__role=Role.OFFICER, is_active=True)
    if office_ids is not None:
        qs = qs.filter(staff__office_id__in=list(office_ids))
    return qs.select_related("staff").order_by("username")


def nodes(level: str, office_ids: Iterable[int] | None = None) -> list[Node]:
    """The nodes of a level, within the offices ``office_ids`` (None: the whole province)."""
    ids = list(office_ids) if office_ids is not None else None
    if level == Level.PROVINCE:
        p = province_office()
        return [Node(Level.PROVINCE, 0, p.code, p.name, None)]
    if level == Level.OFFICE:
        qs = Office.objects.filter(parent__isnull=False)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        return [Node(Level.OFFICE, o.pk, o.code, o.name, o.pk) for o in qs.order_by("code")]
    if level == Level.POINT:
        qs = CollectionAgent.objects.all()
        if ids is not None:
            qs = qs.filter(office_id__in=ids)
        return [Node(Level.POINT, a.pk, a.code, a.name, a.office_id) for a in qs.order_by("code")]
    if level == Level.OFFICER:
        return [Node(Level.OFFICER, u.pk, u.username, u.get_full_name() or u.username, u.staff.office_id)
                for u in officers_of(ids)]
    raise PlanError(f"unknown level {level!r}")


def targets(year: int, level: str, office_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """``{node id: {indicator: value}}`` of a level's targets for ``year`` (one query)."""
    out: dict[int, dict[str, int]] = {}
    if level == Level.PROVINCE:
        for ind, value in PlanTarget.objects.filter(year=year, office__parent__isnull=True).values_list(
                "indicator", "value"):
            out.setdefault(0, {})[ind] = out.get(0, {}).get(ind, 0) + value
        return out
    if level == Level.OFFICE:
        qs = PlanTarget.objects.filter(year=year, office__parent__isnull=False)
        if office_ids is not None:
            qs = qs.filter(office_id__in=list(office_ids))
        rows = qs.values_list("office_id", "indicator", "value")
    else:
        field = "agent_id" if level == Level.POINT else "officer_id"
        qs = Assignment.objects.filter(year=year, **{f"{field[:-3]}__isnull": False})
        if office_ids is not None:
            qs = qs.filter(office_id__in=list(office_ids))
        rows = qs.values_list(field, "indicator", "value")
    for pk, ind, value in rows:
        out.setdefault(pk, {})[ind] = value
    return out


# --------------------------------------------------------------------------- splitting


def split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` in integer parts proportional to ``weights`` that sum to ``total`` exactly.

    Largest remainder (Hamilton): each part is ⌊total × w / Σw⌋, and the units left go one each to
    the largest remainders, earlier children first on ties. ``split(100, [1, 1, 1]) == [34, 33, 33]``;
    ``split(1_000, [50, 30, 20]) == [500, 300, 200]``.
    """
    whole = sum(weights)
    if whole <= 0 or any(w < 0 for w in weights):
        raise PlanError("the weights must be non-negative and not all 0")
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


def _fmt(n: int) -> str:
    return f"{n:,}"


def difference_message(year: int, indicator: str, parent: str, what: str, children: int, total: int,
                       plan: int) -> str:
    return (f"{year} {indicator}: the {children} {what} under {parent} sum to {_fmt(total)}, "
            f"the plan is {_fmt(plan)} (difference {total - plan:+,})")


def children_of(parent: Office, to: str) -> list[Node]:
    level = CHILD_LEVELS[to]
    if parent.is_province and level != Level.OFFICE:
        raise PlanError("the province cascades to grassroots offices; points and officers belong to an office")
    if not parent.is_province and level == Level.OFFICE:
        raise PlanError(f"{parent.code} is a grassroots office: cascade it to points or officers")
    if level == Level.OFFICE:
        return [Node(Level.OFFICE, o.pk, o.code, o.name, o.pk) for o in parent.children.order_by("code")]
    return nodes(level, [parent.pk])


def parent_targets(year: int, parent: Office) -> dict[str, int]:
    return dict(PlanTarget.objects.filter(year=year, office=parent).values_list("indicator", "value"))


def basis(rule: str, year: int, parent: Office, to: str, children: list[Node], indicator: str) -> list[int]:
    """The weights of a rule for one indicator, one per child (set-based: one query per rule)."""
    from . import actuals

    level = CHILD_LEVELS[to]
    ids = [c.id for c in children]
    office_ids = [parent.pk] if not parent.is_province else None
    if rule == "units":
        if level == Level.POINT:
            raise PlanError("collection points manage no units: use the rule persons, last_year or a manual split")

        field = "office_id" if level == Level.OFFICE else "officer_id"
        got = dict(Unit.objects.filter(**{f"{field}__in": ids}).values(field).annotate(n=Count("id"))
                   .values_list(field, "n"))
        return [got.get(i, 0) for i in ids]
    last_year_end = date(year - 1, 12, 31)
    if rule == "persons":
        got = actuals.stocks(level, last_year_end, office_ids)
        return [got.get(i, {}).get("persons", 0) for i in ids]
    if rule == "last_year":
        if indicator in ("population", "labour_force"):
            got = actuals.area_figures(level, ids)
            return [got.get(i, {}).get(indicator, 0) for i in ids]
        if indicator in ("revenue", "receivable"):
            got_flow = actuals.revenue(level, date(year - 1, 1, 1), last_year_end, office_ids)
            return [got_flow.get(i, 0) for i in ids]
        got = actuals.stocks(level, last_year_end, office_ids)
        return [got.get(i, {}).get(indicator, 0) for i in ids]
    raise PlanError(f"unknown rule {rule!r} (expected one of {', '.join(RULES)})")


@dataclass
class CascadeResult:
    parent: str
    to: str
    rule: str
    values: dict[str, dict[str, int]]  # child code → indicator → value

    def lines(self) -> list[str]:
        out = []
        for code, row in self.values.items():
            out.append(f"{code}: " + ", ".join(f"{k}={v:,}" for k, v in sorted(row.items())))
        return out


def cascade(year: int, parent: Office, to: str, rule: str, indicators: Sequence[str] | None = None,
            manual: Mapping[str, Mapping[str, int]] | None = None, actor: str = "") -> CascadeResult:
    """Split ``parent``'s targets for ``year`` over its children and write them (all or nothing).

    ``manual`` gives ``{child code: {indicator: value}}``; every child of the split must appear for
    every indicator, and the values must sum to the parent's, else :class:`PlanError` naming the
    indicator and the difference. Rules compute the same from a basis. Running it again with the
    same inputs writes the same values (idempotent). The audit row (``actor``) keeps each child's
    targets before and after.
    """
    if to not in CHILD_LEVELS:
        raise PlanError(f"unknown level {to!r} (expected offices, points or officers)")
    plan = parent_targets(year, parent)
    if not plan:
        raise PlanError(f"{parent.code} has no plan for {year}")
    wanted = list(indicators) if indicators else sorted(plan)
    missing = [i for i in wanted if i not in plan]
    if missing:
        raise PlanError(f"{parent.code} has no {year} target for {', '.join(missing)}")
    children = children_of(parent, to)
    if not children:
        raise PlanError(f"{parent.code} has no {to} to cascade to")
    values: dict[str, dict[str, int]] = {c.code: {} for c in children}
    errors: list[str] = []
    for ind in wanted:
        if ind in RATIO_INDICATORS:
            for c in children:
                values[c.code][ind] = plan[ind]
            continue
        if rule == "manual":
            given = manual or {}
            unknown = sorted(set(given) - set(values))
            if unknown:
                raise PlanError(f"not {to} of {parent.code}: {', '.join(unknown)}")
            lacking = [c.code for c in children if ind not in given.get(c.code, {})]
            if lacking:
                errors.append(f"{year} {ind}: no value for {', '.join(lacking)}")
                continue
            parts = [int(given[c.code][ind]) for c in children]
            if sum(parts) != plan[ind]:
                errors.append(difference_message(year, ind, parent.code, to, len(children), sum(parts), plan[ind]))
                continue
        else:
            weights = basis(rule, year, parent, to, children, ind)
            if sum(weights) <= 0:
                errors.append(f"{year} {ind}: every one of the {to} under {parent.code} has 0 by the rule "
                              f"{rule}: nothing to split by")
                continue
            parts = split(plan[ind], weights)
        for c, v in zip(children, parts, strict=True):
            values[c.code][ind] = v
    if errors:
        raise PlanError("\n".join(errors))
    level = CHILD_LEVELS[to]
    with transaction.atomic():
        old = targets(year, level, [c.id for c in children] if level == Level.OFFICE else [parent.pk])
        before = {c.code: {i: old[c.id][i] for i in wanted if i in old.get(c.id, {})} for c in children}
        for c in children:
            for ind, v in values[c.code].items():
                _write(year, parent, c, ind, v)
        audit.record("cascade_plan", actor, "office", parent.code, before=before, after=values,
                     year=year, to=to, rule=rule, indicators=wanted)
    return CascadeResult(parent.code, to, rule, values)


def _write(year: int, parent: Office, child: Node, indicator: str, value: int) -> None:
    if child.level == Level.OFFICE:
        PlanTarget.objects.update_or_create(year=year, office_id=child.id, indicator=indicator,
                                            defaults={"value": value})
    elif child.level == Level.POINT:
        Assignment.objects.update_or_create(year=year, agent_id=child.id, indicator=indicator,
                                            defaults={"value": value, "office": parent})
    else:
        Assignment.objects.update_or_create(year=year, officer_id=child.id, indicator=indicator,
                                            defaults={"value": value, "office": parent})


# --------------------------------------------------------------------------- checking


def check(year: int) -> list[str]:
    """Every split of ``year`` whose children do not sum to the parent, as messages (empty: all good).

    Three kinds of split: the grassroots offices under the province, the points of an office, the
    officers of an office. Only indicators that some child of the split has are checked. Four queries.
    """
    out: list[str] = []
    parents = {p.pk: p for p in Office.objects.all()}
    plan: dict[tuple[int, str], int] = {
        (o, i): v for o, i, v in PlanTarget.objects.filter(year=year).values_list("office_id", "indicator", "value")}
    sums: dict[tuple[int, str, str], tuple[int, int]] = {}
    for parent_id, ind, total, n in (PlanTarget.objects.filter(year=year, office__parent__isnull=False)
                                     .values("office__parent_id", "indicator")
                                     .annotate(s=Sum("value"), n=Count("id"))
                                     .values_list("office__parent_id", "indicator", "s", "n")):
        sums[(parent_id, "offices", ind)] = (int(total), n)
    for what, cond in (("points", Q(agent__isnull=False)), ("officers", Q(officer__isnull=False))):
        for office_id, ind, total, n in (Assignment.objects.filter(cond, year=year).values("office_id", "indicator")
                                         .annotate(s=Sum("value"), n=Count("id"))
                                         .values_list("office_id", "indicator", "s", "n")):
            sums[(office_id, what, ind)] = (int(total), n)
    for (parent_id, what, ind), (total, n) in sorted(sums.items(), key=lambda kv: (parents[kv[0][0]].code, kv[0][1:])):
        if ind in RATIO_INDICATORS:
            continue
        target = plan.get((parent_id, ind))
        if target is None:
            out.append(f"{year} {ind}: {parents[parent_id].code} has no target, yet {n} of its {what} have one")
        elif total != target:
            out.append(difference_message(year, ind, parents[parent_id].code, what, n, total, target))
    return out


INDICATOR_LABELS = dict(Indicator.choices)
