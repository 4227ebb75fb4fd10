"""``sicollect arrears disclose nominate --unit`` and ``disclose delist``: the same domain functions as the
staff app (``disclosure.do_nominate_unit`` / ``do_delist``), audited as ``cli:<user>``, exit 2 on refusal.

TA0001: HI 450,000 a month from Jul 2025, never pays: on 31 Oct 2025 July and August are late, 900,000,
2 months. TA0003: the same from Jan 2025: January–August late, 8 × 450,000 = 3,600,000, the oldest
deadline (31 Jan) 9 whole months back — at least the 6 months the law requires for disclosure.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import CommandError

from sicollect.arrears.models import Disclosure
from sicollect.core.models import AuditEvent

from .. import factories as f
from .test_cases import hi_unit, post
from .test_commands import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def units() -> None:
    hi_unit("TA0001")
    u = f.unit("TA0003")
    f.participation(u, f.person(), "2025-01", None, 10_000_000, "HI")
    post("2025-10")
    run("arrears", "sync", "--as-of", "2025-10-31")


def test_nominate_one_unit_refuses_one_not_late_enough(units: None) -> None:
    with pytest.raises(CommandError) as err:
        run("arrears", "disclose", "nominate", "--unit", "TA0001", "--as-of", "2025-10-31")
    assert err.value.returncode == 2
    assert str(err.value) == "TA0001: 2 months late, fewer than the 6 months the law requires for disclosure"
    with pytest.raises(CommandError, match="--unit: no unit 'TA0404'"):
        run("arrears", "disclose", "nominate", "--unit", "TA0404", "--as-of", "2025-10-31")
    assert not Disclosure.objects.exists()
    out = run("arrears", "disclose", "nominate", "--unit", "TA0003", "--as-of", "2025-10-31")
    d = Disclosure.objects.get()
    assert out.strip() == f"TA0003: candidate {d.pk}, 9 months late, 3.600.000 late"
    ev = AuditEvent.objects.get(action="nominate_disclosure")
    assert ev.actor.startswith("cli:") and ev.unit_code == "TA0003" and ev.detail["after"]["late_amount"] == 3_600_000
    with pytest.raises(CommandError, match="TA0003: already on the list"):
        run("arrears", "disclose", "nominate", "--unit", "TA0003", "--as-of", "2025-10-31")


def test_delist_needs_a_reason_and_a_published_entry(units: None) -> None:
    run("arrears", "disclose", "nominate", "--as-of", "2025-10-31")  # every qualifying unit: TA0003
    assert list(Disclosure.objects.values_list("unit__code", flat=True)) == ["TA0003"]
    with pytest.raises(CommandError, match="TA0003: not on the published list"):
        run("arrears", "disclose", "delist", "--unit", "TA0003", "--reason", "đã ký cam kết", "--as-of", "2025-11-01")
    assert json.loads(run("arrears", "disclose", "review", "--manager", "gd.tinh", "--as-of", "2025-11-03")) == {
        "approved": 1, "dropped": 0}
    run("arrears", "disclose", "publish", "--manager", "gd.tinh", "--as-of", "2025-11-05")
    with pytest.raises(CommandError, match="TA0003: a reason is required") as err:
        run("arrears", "disclose", "delist", "--unit", "TA0003", "--as-of", "2025-11-20")
    assert err.value.returncode == 2 and Disclosure.objects.get().status == "published"
    out = run("arrears", "disclose", "delist", "--unit", "TA0003", "--reason", "Đơn vị đã ký cam kết trả nợ",
              "--as-of", "2025-11-20")
    assert out.strip() == "TA0003: removed from the published list on 2025-11-20"
    d = Disclosure.objects.get()
    assert (d.status, d.removed_on, d.reason) == ("removed", date(2025, 11, 20), "Đơn vị đã ký cam kết trả nợ")
    assert AuditEvent.objects.get(action="delist_disclosure").detail["before"]["status"] == "published"
