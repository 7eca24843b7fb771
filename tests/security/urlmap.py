"""Every URL of the project, read from the URL configuration, with real arguments.

``every_route()`` walks ``get_resolver().url_patterns``: a URL added to any urls.py
shows up here, and the matrix fails until it has a rule. ``url_for(key, world)``
builds the path with the world's real objects (the owner's key, the sub-account ...).
"""

import re

from django.urls import URLResolver, get_resolver, reverse

ADMIN_NS = "otpadmin"
# The admin's per-model pages (admin/<app>/<model>/...) are Django's own code; only
# these, which show keys and decide applications, are checked explicitly.
ADMIN_MODEL_PAGES_CHECKED = {
    "otpadmin:apikeys_apikey_changelist",
    "otpadmin:apikeys_apikey_change",
    "otpadmin:apikeys_apikey_delete",
    "otpadmin:reviews_application_changelist",
    "otpadmin:reviews_application_approve",
    "otpadmin:reviews_application_reject",
}
ADMIN_MODEL_PAGE = re.compile(r"^admin/(?!r/)[a-z_]+/[a-z_]+/")


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def every_route() -> dict[str, str]:
    """{key: route} for every URL pattern: the key is its name, or its route if unnamed."""
    routes = {}
    for route, name in _walk(get_resolver().url_patterns):
        if ADMIN_MODEL_PAGE.match(route) and name not in ADMIN_MODEL_PAGES_CHECKED:
            continue
        routes.setdefault(name or UNNAMED_KEYS.get(route, route), route)
    return routes


def is_signed_api(route: str) -> bool:
    return route.startswith("api/")


# Unnamed patterns: a readable key, and the path the matrix requests.
UNNAMED_KEYS = {
    "": "(root)",
    "api/<path:rest>": "api:(unknown)",
    "admin/(?P<url>.*)$": "otpadmin:(catch-all)",
}
UNNAMED = {
    "(root)": "/",
    "api:(unknown)": "/api/v1/no-such-endpoint",
    "otpadmin:(catch-all)": "/admin/no-such-page/",
}


def _kwargs(key: str, world) -> dict:
    own_key = {"key_code": world.hmac_key.code}
    sub = {"sub_code": world.sub.subaccount.code}
    if key == "accounts:sign_out_session":
        return {"code": "00000000-0000-4000-8000-000000000000"}
    if key == "accounts:verify_email":
        return {"token": "made-up-token"}
    if key == "accounts:password_reset_confirm":
        return {"uidb64": "MQ", "token": "made-up-token"}
    if key in {"accounts:rename_passkey", "accounts:remove_passkey"}:
        return {"code": world.passkey.credential_id_sha256}
    if key == "accounts:remove_address":
        return {"code": world.address.code}
    if key.startswith("subaccounts:apikey_"):
        return (
            sub
            if key.endswith(("_index", "_new", "_delete_all", "_idle_keys"))
            else {
                **sub,
                "key_code": world.sub_key.code,
            }
        )
    if key in {
        "subaccounts:detail",
        "subaccounts:freeze",
        "subaccounts:transfer",
        "subaccounts:delete",
    }:
        return {"code": world.sub.subaccount.code}
    if key in {
        "apikeys:detail",
        "apikeys:secret",
        "apikeys:modify",
        "apikeys:delete",
        "apikeys:whitelist_used_ip",
        "apikeys:roll",
        "apikeys:extend",
        "apikeys:end_grace",
    }:
        return own_key
    if key == "apikeys:enable":
        return {"key_code": world.ed_key.code}  # disabled in the test world
    if key == "api:order":
        return {"order_id": world.order.code}
    if key == "otpadmin:app_list":
        return {"app_label": "apikeys"}
    if key == "otpadmin:view_on_site":
        return {"content_type_id": 1, "object_id": 1}
    if key.startswith("otpadmin:apikeys_apikey_") and not key.endswith("changelist"):
        return {"object_id": world.hmac_key.pk}
    if key in {"otpadmin:reviews_application_approve", "otpadmin:reviews_application_reject"}:
        return {"object_id": world.pending_application.pk}
    return {}


def url_for(key: str, world) -> str:
    if key in UNNAMED:
        return UNNAMED[key]
    return reverse(key, kwargs=_kwargs(key, world))
