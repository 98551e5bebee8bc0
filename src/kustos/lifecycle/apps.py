from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "kustos.lifecycle"
    label = "lifecycle"
    verbose_name = "Archive lifecycle"
