from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.admin import OTPAdminSite

from accounts.twofactor import has_2fa

# Secret and key-material fields, by model. No admin accepts a lookup that reaches
# one (see NoSecretLookups); tests/security/test_admin_secret_lookups.py fails on a
# field named like a secret that is declared neither here nor as harmless there.
SECRET_FIELDS = {
    "accounts.user": {"password"},
    "otp_totp.totpdevice": {"key"},
    "otp_static.statictoken": {"token"},
    "apikeys.apikey": {
        "secret_encrypted",
        "public_key",
        "previous_secret_encrypted",
        "previous_public_key",
        "secret_digest",
        "previous_secret_digest",
    },
    "sessions.session": {"session_key", "session_data"},
    "accounts.usersession": {"session_key"},
}


def reaches_a_secret(model, lookup: str) -> bool:
    """Whether the changelist lookup ``lookup`` on ``model`` touches a secret field,
    on the model itself or across relations (``user__totpdevice__key__startswith``)."""
    for part in lookup.split(LOOKUP_SEP):
        if part in SECRET_FIELDS.get(model._meta.label_lower, ()):
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # the rest are lookups and transforms (startswith, lower ...)
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


class NoSecretLookups:
    """Refuse changelist filters on secrets: "one row or none" answers a guess.

    The site mixes this into every model admin it registers, Django's and django-otp's
    included, so a new admin can't forget it. A refused lookup is Django's
    DisallowedModelAdminLookup: a 400.
    """

    def lookup_allowed(self, lookup, value, request=None):
        if reaches_a_secret(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)


class ValidSelection:
    """Refuse a bulk action whose selected ids are not ids, with a message, not a 500.

    Django's admin filters ``pk__in`` with the posted strings as they are, and a
    non-numeric one raises deep in the ORM.
    """

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.to_python(value)
        except ValidationError:
            self.message_user(request, "The selection was not understood.", messages.ERROR)
            return None  # the changelist answers with a redirect to itself
        return super().response_action(request, queryset)


class PortalAdminSite(OTPAdminSite):
    """The Django admin, behind 2FA: where compliance staff review applications."""

    site_header = "Corvex back office"
    site_title = "Corvex back office"
    index_title = "Compliance and operations"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, NoSecretLookups):
            mixins = (NoSecretLookups, ValidSelection)
            admin_class = type(admin_class.__name__, (*mixins, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        """Staff sign in through the portal's two steps (password, then code), with its
        throttles: one form per step, no device drop-down. This page takes no password.

        django-otp's own admin login asked for the device only after a first failed
        try; the portal's code step knows the user's one authenticator already.
        """
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        query = urlencode({"next": target})
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?{query}")
        if not user.is_staff:
            ctx = {
                **self.each_context(request),
                "title": "No access",
                "refusal": "This account has no access to the back office.",
            }
            return render(request, "admin/login_throttled.html", ctx, status=403)
        if user.is_verified():
            return HttpResponseRedirect(target)
        if has_2fa(user):
            return redirect(f"{reverse('accounts:login_code')}?{query}")
        messages.info(request, "Turn on two-factor authentication to use the back office.")
        return redirect("accounts:security")

    def password_change(self, request, extra_context=None):
        """Staff change their password on the portal's page: the one with the rules (the
        2FA code, the other sessions signed out, the security lock, the notice). A POST
        here changes nothing."""
        return redirect("accounts:change_password")
