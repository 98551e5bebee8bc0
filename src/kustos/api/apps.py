from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kustos.api"
    label = "api"
