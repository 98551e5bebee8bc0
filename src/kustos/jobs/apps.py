from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kustos.jobs"
    label = "jobs"
    verbose_name = "Jobs"
