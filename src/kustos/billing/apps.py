from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kustos.billing"
    label = "billing"
    verbose_name = "Billing"
