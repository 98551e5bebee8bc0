from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kustos.accounts"
    label = "accounts"
    verbose_name = "Accounts"
