from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kustos.audit"
    label = "audit"
    verbose_name = "Audit log"
