"""API keys in the admin: read-only, and never a secret.

Staff can look a key up (by alias, API key or owner) and read the audit trail. Changes
go through the API Management page, where they are confirmed with 2FA and recorded;
the admin has no way around that. The encrypted secret is not even listed as a field.
"""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import ApiKey, AuditEvent


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["alias", "api_key", "user", "key_type", "can_trade", "can_withdraw"]
    list_display += ["created_at", "expires_at", "last_used_at"]
    list_filter = ["key_type", "can_trade", "can_withdraw"]
    search_fields = ["alias", "api_key", "user__username", "user__email"]
    list_select_related = ["user"]
    # An allow-list, so that a field added later never shows up here by default.
    fields = [
        "code",
        "user",
        "created_by",
        "alias",
        "api_key",
        "key_type",
        "user_supplied_key",
        "public_key",
        "can_trade",
        "can_withdraw",
        "ip_whitelist",
        "created_at",
        "updated_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
    ]
    readonly_fields = fields
    ordering = ["-created_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "key_alias", "owner", "actor", "ip"]
    list_filter = ["action"]
    search_fields = ["key_alias", "api_key", "owner__username", "ip"]
    list_select_related = ["owner", "actor"]
    fields = [
        "created_at",
        "action",
        "owner",
        "actor",
        "apikey",
        "key_code",
        "key_alias",
        "api_key",
        "changes",
        "ip",
    ]
    readonly_fields = fields
    date_hierarchy = "created_at"
