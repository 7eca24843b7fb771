from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The Django admin, behind 2FA: where compliance staff review applications."""

    site_header = "Corvex back office"
    site_title = "Corvex back office"
    index_title = "Compliance and operations"
