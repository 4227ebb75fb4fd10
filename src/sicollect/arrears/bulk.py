"""The bulk run over the whole province: sync the cases, propose the next steps, confirm every
proposal as one officer, print the notices (one PDF per office + the register xlsx).

Each stage is set-based (sync, propose) or one pass over the proposals (confirm issues one notice
per document step); a progress bar shows each stage. Rerunning on the same day adds nothing: the
sync and the proposals are idempotent, a case climbs at most one rung a day (``ladder.is_due``), a
confirmed step is skipped and a step has at most one notice. The summary gives the open cases by
their highest confirmed step, what each stage did and the seconds it took.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .cases import sync
from .ladder import cases_by_step, do_confirm_steps, proposals, propose
from .models import CaseStep, Notice, StepStatus


@dataclass
class RunSummary:
    as_of: date
    cases: dict[str, Any] = field(default_factory=dict)
    proposed: int = 0
    confirmed: int = 0
    notices_issued: int = 0
    skipped: int = 0
    files: list[str] = field(default_factory=list)
    notices_in_files: int = 0
    by_step: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"bulk run as of {self.as_of:%d/%m/%Y}",
                 (f"  cases: {self.cases.get('opened', 0)} opened, {self.cases.get('updated', 0)} updated, "
                  f"{self.cases.get('closed_paid', 0)} closed paid, {self.cases.get('closed_class_iv', 0)} class IV; "
                  f"{self.cases.get('open_cases', 0)} open"),
                 f"  steps: {self.proposed} proposed, {self.confirmed} confirmed, {self.skipped} skipped",
                 (f"  notices: {self.notices_issued} issued now; {self.notices_in_files} in "
                  f"{len(self.files)} file(s)"),
                 "  open cases by highest confirmed step:"]
        for code, n in self.by_step.items():
            lines.append(f"    {code or '(none yet)':14} {n:>7}")
        lines.append("  in the database: " + ", ".join(f"{k} {v}" for k, v in self.totals.items()))
        lines.append("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items()))
        return "\n".join(lines)


def _stage(name: str, progress: bool) -> Any:
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=1, desc=name, unit="stage", leave=True)


def run(as_of: date, officer: str, out_dir: Path | None = None, progress: bool = True,
        write: Callable[[str], Any] | None = None) -> RunSummary:
    s = RunSummary(as_of)
    def sync_and_promises() -> dict[str, Any]:
        from .followups import check_promises

        synced = sync(as_of).as_dict()
        check_promises(as_of)
        return synced

    for name, work in (("sync", sync_and_promises), ("propose", lambda: propose(as_of))):
        bar = _stage(name, progress)
        t0 = time.perf_counter()
        result = work()
        s.seconds[name] = time.perf_counter() - t0
        if name == "sync":
            s.cases = result  # type: ignore[assignment]
        else:
            s.proposed = result.proposed  # type: ignore[union-attr]
        if bar is not None:
            bar.update(1)
            bar.close()
    t0 = time.perf_counter()
    ids = list(proposals(as_of).values_list("pk", flat=True))
    c = do_confirm_steps(ids, officer, "cli: sicollect arrears run", progress=progress)
    s.seconds["confirm"] = time.perf_counter() - t0
    s.confirmed, s.notices_issued, s.skipped = c.confirmed, c.notices, len(c.skipped)
    if out_dir is not None:
        from .notices import batch

        t0 = time.perf_counter()
        paths = batch(as_of, as_of, out_dir, progress=progress)
        s.seconds["notices"] = time.perf_counter() - t0
        s.files = [str(p) for p in paths]
        s.notices_in_files = Notice.objects.filter(issued_on=as_of).count()
    s.by_step = dict(sorted(cases_by_step().items(), key=lambda kv: kv[0]))
    s.totals = {"case steps": CaseStep.objects.exclude(status=StepStatus.CANCELLED).count(),
                "notices": Notice.objects.count()}
    return s
