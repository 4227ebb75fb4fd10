"""Every URL of the project has an access rule, and the rule is tested here.

The first test lists every route (pages and API, the admin aside) and fails when one has no entry in
RULES: a new view or endpoint cannot land without saying who may reach it. The others check each
rule on the hand-built province of tests/web/helpers.py: without a login a page sends to the login
page and an API route answers 401; a manager of Hạ Long (HL) asking for Cẩm Phả's (CP) unit CP001,
its employee 2202000003 or its office gets a 404 or does not find them in a list.
"""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from sicollect.api.models import ApiToken


PUBLIC = "public"
# name: (method, URL asking for CP's things, how HL's manager is kept out of them)
#   ("404", None): the URL answers 404;  ("absent", text): the page or JSON does not contain text;
#   ("covered", "module::test"): a scenario test elsewhere checks it (the test must exist)
RULES: dict[str, tuple[str, str, tuple[str, str | None]]] = {
    "api:openapi-json": ("GET", "/api/openapi.json", (PUBLIC, None)),
    "api:openapi-view": ("GET", "/api/docs", (PUBLIC, None)),
    "api:api-root": ("GET", "/api/", (PUBLIC, None)),
    "set_language": ("POST", "/i18n/setlang/", (PUBLIC, None)),
    "health": ("GET", "/health/", (PUBLIC, None)),  # no personal data (tests/ops/test_health.py); nginx: server only
    "web:login": ("GET", "/login/", (PUBLIC, None)),
    "web:logout": ("POST", "/logout/", (PUBLIC, None)),
    # two-step login: one's own device only, managers only (tests/web/test_otp.py)
    "web:otp_verify": ("GET", "/login/code/",
                       ("covered", "tests.web.test_otp::test_a_manager_enrols_then_logs_in_with_password_and_code")),
    "web:otp_setup": ("GET", "/account/otp/",
                      ("covered", "tests.web.test_otp::test_officers_and_viewers_log_in_without_a_code")),
    "web:otp_remove": ("POST", "/account/otp/remove/",
                       ("covered", "tests.web.test_otp::test_removing_the_device_needs_the_current_code")),
    "api:list_units": ("GET", "/api/units?q=CP", ("absent", "CP001")),
    "api:get_unit": ("GET", "/api/units/CP001", ("404", None)),
    "api:get_statement": ("GET", "/api/units/CP001/statement?period=2025-10", ("404", None)),
    "api:get_ledger": ("GET", "/api/units/CP001/ledger", ("404", None)),
    "api:get_person": ("GET", "/api/persons/2202000003", ("404", None)),
    "api:get_kpi": ("GET", "/api/kpi?as_of=2025-10-31&office=CP", ("404", None)),
    "api:post_payment": ("POST", "/api/payments", ("404", None)),
    "web:dashboard": ("GET", "/?office=CP", ("404", None)),
    "web:kpi_export": ("GET", "/kpi.xlsx?as_of=2025-10-31&office=CP", ("404", None)),
    "web:units": ("GET", "/units/?q=CP", ("absent", "CP001")),
    "web:unit": ("GET", "/units/CP001/", ("404", None)),
    "web:unit_statement": ("GET", "/units/CP001/statement.xlsx?period=2025-10", ("404", None)),
    "web:worklist": ("GET", "/worklist/", ("absent", "CP001")),
    "web:worklist_assign": ("POST", "/worklist/assign/", ("covered", "tests.web.test_views::test_bulk_assign")),
    # saved filters: one's own only (another user's is a 404)
    "web:worklist_filter_save": ("POST", "/worklist/filters/",
                                 ("covered", "tests.web.test_worklist::test_save_list_and_delete_a_filter")),
    "web:worklist_filter_delete": ("POST", "/worklist/filters/1/delete/",
                                   ("covered", "tests.web.test_worklist::test_save_list_and_delete_a_filter")),
    "web:persons": ("GET", "/persons/?q=2202000003", ("absent", "Trần Văn Cẩm")),
    "web:person": ("GET", "/persons/2202000003/", ("404", None)),
    "web:suspense": ("GET", "/suspense/", ("covered", "tests.web.test_views::test_suspense_queue_is_scoped")),
    "web:plan_progress": ("GET", "/plans/?office=CP", ("404", None)),
    "web:plan_weekly": ("GET", "/plans/weekly/?office=CP", ("404", None)),
    "web:plan_weekly_export": ("GET", "/plans/weekly.xlsx?office=CP", ("404", None)),
    "web:plan_forecast": ("GET", "/plans/forecast/?office=CP", ("404", None)),
    "web:coverage": ("GET", "/coverage/?office=CP", ("404", None)),
    # plan actions, leads, tax-sync decisions (tests/web/test_plan_actions.py, tests/web/test_leads_taxsync.py)
    "web:plan_upload": ("POST", "/plans/upload/",
                        ("covered", "tests.web.test_plan_actions::test_a_grassroots_manager_uploads_only_their_own_points")),
    "web:plan_cascade": ("GET", "/plans/cascade/?office=CP", ("404", None)),
    "web:plan_evaluations": ("POST", "/plans/evaluations/",
                             ("covered", "tests.web.test_plan_actions::test_a_grassroots_manager_evaluates_their_own")),
    "web:coverage_leads": ("GET", "/coverage/leads/?office=CP", ("404", None)),
    "web:coverage_lead_add": ("POST", "/coverage/leads/add/",
                              ("covered", "tests.web.test_leads_taxsync::test_add_a_lead_by_hand_and_move_it")),
    "web:coverage_lead_status": ("POST", "/coverage/leads/status/",
                                 ("covered", "tests.web.test_leads_taxsync::test_an_officer_works_a_lead_of_their")),
    "web:taxsync": ("GET", "/taxsync/",
                    ("covered", "tests.web.test_leads_taxsync::test_upload_the_tax_list_then_confirm_and_reject")),
    "web:taxsync_upload": ("POST", "/taxsync/upload/",
                           ("covered", "tests.web.test_leads_taxsync::test_upload_the_tax_list_then_confirm_and_reject")),
    "web:taxsync_decide": ("POST", "/taxsync/1/confirm/",
                           ("covered", "tests.web.test_leads_taxsync::test_upload_the_tax_list_then_confirm_and_reject")),
    "web:suspense_decide": ("POST", "/suspense/1/assign/",
                            ("covered", "tests.web.test_views::test_suspense_queue_is_scoped")),
    "web:audit": ("GET", "/audit/?unit=CP001", ("404", None)),
    "web:audit_export": ("GET", "/audit.csv?unit=CP001", ("404", None)),
    "web:persons_export": ("POST", "/persons/export/",
                           ("covered", "tests.core.test_audit::test_a_person_list_export_needs_a_reason_and_is_scoped")),
    "api:list_persons": ("GET", "/api/persons?reason=ho+so+thanh+tra+2025&q=22020", ("absent", "2202000003")),
    "api:list_audit": ("GET", "/api/audit?unit=CP001", ("404", None)),
    "api:post_declaration": ("POST", "/api/declarations",
                             ("covered", "tests.core.test_audit::test_a_declaration_through_the_api_is_scoped")),
    # arrears (tests/web/test_arrears_pages.py, tests/api/test_arrears_api.py)
    "web:arrears_cases": ("GET", "/arrears/", ("absent", "CP001")),
    "web:arrears_confirm": ("POST", "/arrears/confirm/",
                            ("covered", "tests.web.test_arrears_pages::test_bulk_confirm_issues_the_notice")),
    "web:arrears_case": ("GET", "/arrears/cases/CP001/", ("404", None)),
    "web:arrears_case_note": ("POST", "/arrears/cases/CP001/note/", ("404", None)),
    "web:arrears_case_send": ("POST", "/arrears/cases/CP001/send/", ("404", None)),
    "web:arrears_send": ("POST", "/arrears/send/",
                         ("covered", "tests.web.test_notice_delivery::test_the_worklist_button_sends_only_the_cases_in_scope")),
    "web:arrears_attachment": ("GET", "/arrears/attachments/1/",
                               ("covered", "tests.web.test_arrears_pages::test_the_case_pages_of_another_office")),
    "web:arrears_notice_pdf": ("GET", "/arrears/notices/1.pdf",
                               ("covered", "tests.web.test_arrears_pages::test_the_case_pages_of_another_office")),
    "web:arrears_groups": ("GET", "/arrears/groups/",
                           ("covered", "tests.web.test_arrears_pages::test_plan_and_record_a_visit")),
    "web:arrears_group_plan": ("POST", "/arrears/groups/1/plan/",
                               ("covered", "tests.web.test_arrears_pages::test_plan_and_record_a_visit")),
    "web:arrears_visit": ("POST", "/arrears/visits/1/",
                          ("covered", "tests.web.test_arrears_pages::test_plan_and_record_a_visit")),
    "web:arrears_visit_status": ("POST", "/arrears/visits/1/status/",
                                 ("covered", "tests.web.test_arrears_pages::test_a_visit_that_finds_no_unit")),
    "web:arrears_disclosure": ("GET", "/arrears/disclosure/",
                               ("covered", "tests.web.test_arrears_pages::test_disclosure_needs_the_province")),
    "web:arrears_disclosure_review": ("POST", "/arrears/disclosure/review/",
                                      ("covered", "tests.web.test_arrears_pages::test_disclosure_needs_the_province")),
    "web:arrears_disclosure_publish": ("POST", "/arrears/disclosure/publish/",
                                       ("covered", "tests.web.test_arrears_pages::test_disclosure_needs_the_province")),
    "web:arrears_disclosure_export": ("GET", "/arrears/disclosure.xlsx",
                                      ("covered", "tests.web.test_arrears_pages::test_disclosure_needs_the_province")),
    # the manager's actions in the app (tests/web/test_arrears_actions.py): another office's group is a 404
    "web:arrears_group_create": ("POST", "/arrears/groups/new/",
                                 ("covered", "tests.web.test_arrears_actions::test_a_bad_group_is_a_400")),
    "web:arrears_group": ("GET", "/arrears/groups/1/",
                          ("covered", "tests.web.test_arrears_actions::test_only_managers_of_the_groups_office")),
    "web:arrears_group_member_add": ("POST", "/arrears/groups/1/members/",
                                     ("covered", "tests.web.test_arrears_actions::test_only_managers_of_the_groups_office")),
    "web:arrears_group_member_remove": ("POST", "/arrears/groups/1/members/1/remove/",
                                        ("covered", "tests.web.test_arrears_actions::test_a_manager_forms_a_group")),
    "web:arrears_group_dissolve": ("POST", "/arrears/groups/1/dissolve/",
                                   ("covered", "tests.web.test_arrears_actions::test_only_managers_of_the_groups_office")),
    "web:arrears_disclosure_nominate": ("POST", "/arrears/disclosure/nominate/",
                                        ("covered", "tests.web.test_arrears_actions::test_a_unit_that_cannot_be_proposed")),
    "web:arrears_disclosure_delist": ("POST", "/arrears/disclosure/1/delist/",
                                      ("covered", "tests.web.test_arrears_actions::test_the_province_manager_removes")),
    "web:arrears_notice_batch": ("GET", "/arrears/notices/batch.pdf?issued_on=2025-10-31&office=CP", ("404", None)),
    "web:arrears_reward": ("GET", "/arrears/reward/?code=CP001&as_of=2025-10-31", ("absent", "còn nợ chậm đóng")),
    "web:arrears_inspection": ("GET", "/arrears/inspection/?as_of=2025-10-31", ("absent", "CP001")),
    "web:arrears_numbers": ("GET", "/arrears/numbers/?office=CP", ("404", None)),
    # my work and the follow-up log (tests/web/test_mywork.py, tests/api/test_followups_api.py)
    "web:favicon": ("GET", "/favicon.ico", (PUBLIC, None)),  # the icon only
    "web:mywork": ("GET", "/work/", ("covered", "tests.web.test_mywork::test_a_manager_sees_each_officer_and_reassigns")),
    "web:mywork_reassign": ("POST", "/work/reassign/",
                            ("covered", "tests.web.test_mywork::test_a_manager_sees_each_officer_and_reassigns")),
    "web:followup_log": ("POST", "/units/CP001/followup/", ("404", None)),
    "api:list_followups": ("GET", "/api/arrears/followups?unit=CP001",
                           ("covered", "tests.api.test_followups_api::test_an_officer_logs_a_call_with_a_promise_audited_and_scoped")),
    "api:log_followup": ("POST", "/api/arrears/followups",
                         ("covered", "tests.api.test_followups_api::test_an_officer_logs_a_call_with_a_promise_audited_and_scoped")),
    "api:list_cases": ("GET", "/api/arrears/cases", ("absent", "CP001")),
    "api:get_case": ("GET", "/api/arrears/cases/CP001", ("404", None)),
    "api:list_proposals": ("GET", "/api/arrears/worklist", ("absent", "CP001")),
    "api:check_reward": ("GET", "/api/arrears/reward/CP001?as_of=2025-10-31", ("404", None)),
    "api:check_reward_batch": ("POST", "/api/arrears/reward",
                               ("covered", "tests.api.test_arrears_api::test_reward_check_one_and_a_batch")),
    "api:confirm_steps": ("POST", "/api/arrears/steps/confirm",
                          ("covered", "tests.api.test_arrears_api::test_confirm_goes_through_the_action")),
}


def routes() -> dict[str, str]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("admin"):
                    continue
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield (f"{namespace}:{p.name}" if namespace else str(p.name)), prefix + str(p.pattern)
    return dict(walk(get_resolver().url_patterns, "", ""))


def test_every_route_has_an_access_rule() -> None:
    found = routes()
    assert sorted(set(found) - set(RULES)) == [], "routes without an access rule: add them to RULES"
    assert sorted(set(RULES) - set(found)) == [], "rules for routes that no longer exist"
    for _method, _url, (kind, ref) in RULES.values():
        if kind == "covered":
            module, name = ref.split("::")  # type: ignore[union-attr]
            assert any(n.startswith(name) for n in dir(__import__(module, fromlist=["x"]))), ref


@pytest.fixture
def province(_qn_once: dict[str, Any]) -> dict[str, Any]:
    """The hand-built province, built once for the module (about 190 cases): ``conftest._qn_once``."""
    return _qn_once


def _call(client: Client, method: str, url: str) -> Any:
    if method == "POST":
        body = {"payment_id": "X-1", "unit": "CP001", "paid_on": "2025-11-05", "amount": 1}
        if url.startswith("/api/"):
            return client.post(url, body, content_type="application/json")
        return client.post(url, {})
    return client.get(url)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(RULES))
def test_without_a_login_nothing_is_served(name: str, province: dict[str, Any]) -> None:
    method, url, (kind, _ref) = RULES[name]
    r = _call(Client(), method, url)
    if kind == PUBLIC:
        assert r.status_code < 500
    elif url.startswith("/api/"):
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    else:
        assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, (_m, _u, (k, _r)) in RULES.items() if k in ("404", "absent")))
def test_a_grassroots_manager_sees_nothing_of_another_office(name: str, province: dict[str, Any]) -> None:
    method, url, (kind, text) = RULES[name]
    user = province["users"]["hl_mgr"]
    if url.startswith("/api/"):
        _row, token = ApiToken.issue(user)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    else:
        client = Client()
        client.force_login(user)
    r = _call(client, method, url)
    if kind == "404":
        assert r.status_code == 404
    else:
        assert r.status_code == 200 and text not in r.content.decode()
        # and the province manager does see it: the check is not vacuous
        boss = province["users"]["prov"]
        if url.startswith("/api/"):
            _row, token = ApiToken.issue(boss)
            other = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        else:
            other = Client()
            other.force_login(boss)
        assert text in _call(other, method, url).content.decode()
