"""The steps that follow a close inside its transaction, after the engine wrote the ledger.

Each app that must act on a closed month registers a step here from its ``AppConfig.ready`` instead of
the close importing it (the close sits below those apps): the close's own aging (``close.aging``: every
unit's bucket and class at each month end, and the debts kept for the KPI report) and the arrears app's
cases and ladder proposals (``arrears.apps``). They run in ``order``; what each returns is kept in the
close's summary under its name, and its seconds too.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sicollect.core.months import Month


@dataclass(frozen=True)
class Closed:
    """What a step is told: the months the close just computed and, when the engine kept them, every unit's
    debts at each of their ends (``EngineResult.debts``; None: read the ledger), and the engine's copies of
    the tables when it left them open for the steps (``EngineResult.columnar``)."""

    months: list[Month]
    debts: Mapping[date, list[Any]] | None
    # the engine's copies of the tables when it left them open (``engines.Columnar``: DuckDB's), else None
    columnar: Any = None
    #: ``EngineResult.persons``: a table of each person's row in force per unit in the last month closed
    #: (unit_id, person_id, wage, si, hi, ui, oadi; wage > 0), or "" (read the participations)
    persons: str = ""

    @property
    def as_of(self) -> date:
        """The last day closed."""
        return self.months[-1].last_day


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    run: Callable[[Closed], Any]


_STEPS: dict[str, Step] = {}


def register(name: str, order: int, run: Callable[[Closed], Any]) -> None:
    """Run ``run`` after every close, in ``order`` (lowest first); registering a name again replaces it."""
    _STEPS[name] = Step(name, order, run)


def registered() -> list[Step]:
    return sorted(_STEPS.values(), key=lambda s: (s.order, s.name))
