from django.apps import AppConfig


class SubaccountsConfig(AppConfig):
    name = "subaccounts"
    default_auto_field = "django.db.models.BigAutoField"
