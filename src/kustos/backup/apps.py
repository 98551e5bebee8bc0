from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "kustos.backup"
    label = "backup"
    verbose_name = "Backup"
    default_auto_field = "django.db.models.BigAutoField"
