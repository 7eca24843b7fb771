from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    ReadOnlyPasswordHashField,
    ReadOnlyPasswordHashWidget,
    UserChangeForm,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Asset, Balance, Transfer, User
from .validators import plain_text


class BalanceInline(admin.TabularInline):
    model = Balance
    extra = 0
    autocomplete_fields = ["asset"]


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """The password hash's summary without Django's "Reset password" button: for staff
    who may only view users, the button led to a 403."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        return render_to_string("admin/accounts/password_summary.html", context)


class PortalUserChangeForm(UserChangeForm):
    """Django's user form; the names are free text shown on pages: plain text only."""

    first_name = forms.CharField(
        label="First name", max_length=150, required=False, validators=[plain_text]
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, required=False, validators=[plain_text]
    )


class ViewOnlyUserForm(PortalUserChangeForm):
    password = ReadOnlyPasswordHashField(label="Password", widget=PasswordSummaryWidget)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = PortalUserChangeForm
    list_display = ["username", "email", "parent", "is_staff", "is_frozen", "date_joined"]
    list_filter = ["is_staff", "is_active", "is_frozen", "groups"]
    list_select_related = ["parent"]
    search_fields = ["username", "email"]
    raw_id_fields = ["parent"]
    inlines = [BalanceInline]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Sub-account", {"fields": ["parent", "note", "frozen"]}),
    )
    # Freezing goes through the compliance desk: a reason, the history, an e-mail.
    readonly_fields = ["frozen"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and not self.has_change_permission(request, obj):
            kwargs["form"] = ViewOnlyUserForm
        return super().get_form(request, obj, **kwargs)

    @admin.display(description="Frozen")
    def frozen(self, obj):
        state = "Yes" if obj.is_frozen else "No"
        if obj.pk is None or obj.parent_id:
            return state
        url = reverse("admin:reviews_account_freeze", args=[obj.pk])
        verb = "Unfreeze…" if obj.is_frozen else "Freeze…"
        return format_html('{} · <a href="{}">{}</a>', state, url, verb)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    # Precision is a rule over the ledger's fixed 8 decimal places (accounts/money.py):
    # any value from 0 to 8 keeps every stored amount exact.
    list_display = ["symbol", "name", "usdt_price", "precision", "min_withdrawal"]
    list_editable = ["usdt_price", "precision", "min_withdrawal"]
    search_fields = ["symbol", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record that changes only through its service (a transfer, a key, an audit row)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    """Transfers are a record: they are made on the sub-account's page, never here."""

    list_display = ["created_at", "from_user", "to_user", "asset", "amount", "created_by"]
    list_select_related = ["from_user", "to_user", "asset", "created_by"]
    list_filter = ["asset"]
    search_fields = ["from_user__username", "to_user__username"]
    fields = list_display
    readonly_fields = fields


# django-otp's own admin pages show TOTP secrets and offer a QR code of them. Nobody,
# not even a superuser, needs to see another person's secret: replace them with
# pages that show the device and its throttling state only.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "throttling_failure_count", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "throttling_failure_count", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(StaticDevice)
class BackupCodesAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
