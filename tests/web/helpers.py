"""A province small enough to work out by hand, with a user of every role.

Province QN with grassroots offices HL and CP. Region I; every wage 10,000,000.

* HL001 (Hạ Long): one person, HI only, from Jul 2025; never pays. HI is 4.5 % (3 % employer,
  1.5 % employee), so the unit owes 450,000 a month. Monthly payers from Jul 2025 pay by the
  end of the next month: July is late from 1 Sep, August from 1 Oct. Closed through Oct 2025,
  on 31 Oct it owes 4 × 450,000 = 1,800,000, of which 900,000 (July, August) is late; the oldest
  deadline (31 Aug) is 2 whole months back: bucket "1-3", class II.
* HL002 (Hạ Long): one person, every fund, Oct 2025 only, paid in full on time: no debt.
* CP001 (Cẩm Phả): one person, HI only, from Aug 2025; never pays; 450,000 late (August).

Users: ``prov`` (province manager at QN), ``hl_mgr`` (grassroots manager at HL), ``hl_off``
(officer at HL, in charge of HL001), ``hl_off2`` (officer at HL, no unit), ``hl_view`` (viewer
at HL), ``cp_mgr`` (grassroots manager at CP) and ``cp_off`` (officer at CP, in charge of CP001).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from sicollect.close.service import close
from sicollect.core.months import Month
from sicollect.plans.models import PlanTarget
from sicollect.registry.models import Office
from sicollect.staff.models import Role, StaffProfile

from .. import factories as f

PASSWORD = "secret-pass-123"


def staff(username: str, office: Office, role: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    StaffProfile.objects.create(user=user, office=office, role=role)
    return user


def build(before_close: Any = None) -> dict[str, Any]:
    """The province; ``before_close(units)``, when given, adds to it before the October close."""
    qn = Office.objects.create(code="QN", name="BHXH tỉnh Quảng Ninh")
    hl = Office.objects.create(code="HL", name="BHXH Hạ Long", parent=qn)
    cp = Office.objects.create(code="CP", name="BHXH Cẩm Phả", parent=qn)
    users = {
        "prov": staff("prov", qn, Role.PROVINCE_MANAGER),
        "hl_mgr": staff("hl_mgr", hl, Role.GRASSROOTS_MANAGER),
        "hl_off": staff("hl_off", hl, Role.OFFICER),
        "hl_off2": staff("hl_off2", hl, Role.OFFICER),
        "hl_view": staff("hl_view", hl, Role.VIEWER),
        "cp_mgr": staff("cp_mgr", cp, Role.GRASSROOTS_MANAGER),
        "cp_off": staff("cp_off", cp, Role.OFFICER),
    }
    hl1 = f.unit("HL001", office=hl, tax_code="5700100001", officer=users["hl_off"])
    hl2 = f.unit("HL002", office=hl, tax_code="5700100002")
    cp1 = f.unit("CP001", office=cp, tax_code="5700200001", officer=users["cp_off"])
    p1 = f.person("2201000001")
    p1.national_id, p1.full_name = "022085001234", "Nguyễn Thị Lan"
    p1.save()
    f.participation(hl1, p1, "2025-07", None, 10_000_000, "HI")
    f.participation(hl2, f.person("2201000002"), "2025-10", "2025-10", 10_000_000, "SI+HI+UI+OADI")
    f.payment(hl2, date(2025, 10, 20), 3_200_000)
    p3 = f.person("2202000003")
    p3.national_id, p3.full_name = "022090009876", "Trần Văn Cẩm"
    p3.save()
    f.participation(cp1, p3, "2025-08", None, 10_000_000, "HI")
    for office, value in ((qn, 100_000_000), (hl, 60_000_000), (cp, 40_000_000)):
        PlanTarget.objects.create(year=2025, office=office, indicator="revenue", value=value)
    PlanTarget.objects.create(year=2025, office=qn, indicator="debt_ratio_ceiling_bp", value=300)
    if before_close is not None:
        before_close({"HL001": hl1, "HL002": hl2, "CP001": cp1})
    close(Month(2025, 10))
    return {"offices": {"QN": qn, "HL": hl, "CP": cp}, "users": users, "units": {"HL001": hl1, "HL002": hl2, "CP001": cp1}}


def as_user(qn: dict[str, Any], name: str) -> Client:
    """A test client logged in as one of ``qn``'s users."""
    c = Client()
    c.force_login(qn["users"][name])
    return c
