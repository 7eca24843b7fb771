from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    # The admin decides API-trading applications: it must sit behind 2FA.
    default_site = "config.admin.PortalAdminSite"
