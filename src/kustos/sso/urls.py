from django.urls import path

from kustos.sso import views

app_name = "sso"

urlpatterns = [
    path("<str:provider_id>/start", views.start, name="start"),
    path("callback", views.callback, name="callback"),
    path("discover", views.discover, name="discover"),
]
