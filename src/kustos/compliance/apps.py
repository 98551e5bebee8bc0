from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "kustos.compliance"
    label = "compliance"
    verbose_name = "Compliance documents"
