from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    # The admin decides API-trading applications: it must sit behind 2FA.
    default_site = "config.admin.PortalAdminSite"


class OpsConfig(AppConfig):
    """The operator's side: system checks for deployment and `migrate` under a lock."""

    name = "config"
    label = "ops"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from . import checks  # noqa: F401  (registers the system checks)
        from .ops import forget_request_id

        request_started.connect(forget_request_id, dispatch_uid="ops.forget_request_id")
        request_finished.connect(forget_request_id, dispatch_uid="ops.forget_request_id.end")
