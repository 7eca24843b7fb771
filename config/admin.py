from django.shortcuts import render
from django_otp.admin import OTPAdminSite

from accounts.services import login_throttled


class PortalAdminSite(OTPAdminSite):
    """The Django admin, behind 2FA: where compliance staff review applications."""

    site_header = "Corvex back office"
    site_title = "Corvex back office"
    index_title = "Compliance and operations"

    def login(self, request, extra_context=None):
        # The same throttle as the portal's login: staff passwords are worth more.
        if request.method == "POST" and login_throttled(request):
            ctx = {**self.each_context(request), "title": "Too many attempts"}
            return render(request, "admin/login_throttled.html", ctx, status=429)
        return super().login(request, extra_context)
