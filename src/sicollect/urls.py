from django.contrib import admin
from django.urls import include, path

from sicollect.api.api import api
from sicollect.ops.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sicollect.web.urls")),
]

handler400 = "sicollect.web.views.bad_request"  # a malformed parameter: a page that names it, status 400
