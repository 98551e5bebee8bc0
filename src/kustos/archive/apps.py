from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "kustos.archive"
    label = "archive"
