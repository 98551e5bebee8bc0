from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "kustos.tenants"
    label = "tenants"
    verbose_name = "Tenants"
