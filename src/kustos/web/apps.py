from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kustos.web"
    label = "web"
