from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
