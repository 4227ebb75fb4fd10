from django.contrib.auth import views as auth_views
from django.urls import path

from . import arrears, audit_views, plan_views, views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("kpi.<str:fmt>", views.kpi_export, name="kpi_export"),
    path("units/", views.unit_search, name="units"),
    path("units/<str:code>/", views.unit_detail, name="unit"),
    path("units/<str:code>/statement.<str:fmt>", views.unit_statement, name="unit_statement"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/assign/", views.worklist_assign, name="worklist_assign"),
    path("persons/", views.person_search, name="persons"),
    path("persons/export/", audit_views.persons_export, name="persons_export"),
    path("persons/<str:si_code>/", views.person_detail, name="person"),
    path("suspense/", views.suspense, name="suspense"),
    path("suspense/<int:item_id>/<str:verb>/", views.suspense_decide, name="suspense_decide"),
    path("arrears/", arrears.cases, name="arrears_cases"),
    path("arrears/confirm/", arrears.confirm_steps, name="arrears_confirm"),
    path("arrears/cases/<str:code>/", arrears.case_detail, name="arrears_case"),
    path("arrears/cases/<str:code>/note/", arrears.case_note, name="arrears_case_note"),
    path("arrears/attachments/<int:note_id>/", arrears.attachment, name="arrears_attachment"),
    path("arrears/notices/<int:notice_id>.pdf", arrears.notice_pdf, name="arrears_notice_pdf"),
    path("arrears/groups/", arrears.groups, name="arrears_groups"),
    path("arrears/groups/<int:group_id>/plan/", arrears.group_plan, name="arrears_group_plan"),
    path("arrears/visits/<int:visit_id>/", arrears.visit_record, name="arrears_visit"),
    path("arrears/visits/<int:visit_id>/status/", arrears.visit_status, name="arrears_visit_status"),
    path("arrears/disclosure/", arrears.disclosure, name="arrears_disclosure"),
    path("arrears/disclosure/review/", arrears.disclosure_review, name="arrears_disclosure_review"),
    path("arrears/disclosure/publish/", arrears.disclosure_publish, name="arrears_disclosure_publish"),
    path("arrears/disclosure.<str:fmt>", arrears.disclosure_export, name="arrears_disclosure_export"),
    path("arrears/reward/", arrears.reward, name="arrears_reward"),
    path("arrears/inspection/", arrears.inspection, name="arrears_inspection"),
    path("arrears/numbers/", arrears.numbers, name="arrears_numbers"),
    path("plans/", plan_views.plan_progress, name="plan_progress"),
    path("plans/weekly/", plan_views.plan_weekly, name="plan_weekly"),
    path("plans/weekly.<str:fmt>", plan_views.plan_weekly, name="plan_weekly_export"),
    path("plans/forecast/", plan_views.plan_forecast, name="plan_forecast"),
    path("coverage/", plan_views.coverage_communes, name="coverage"),
    path("audit/", audit_views.audit, name="audit"),
    path("audit.<str:fmt>", audit_views.audit_export, name="audit_export"),
]
