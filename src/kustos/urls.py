"""URL root: dashboard, REST API (/api/v1), language switch."""

from django.urls import include, path

from kustos.api.root import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("sso/", include("kustos.sso.urls")),
    path("", include("kustos.web.urls")),
]
