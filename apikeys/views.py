"""The API Management pages: declared once, mounted for a trader and for a sub-account.

Each page is a function of ``owner`` (whose keys) and ``urls`` (where its pages live),
with the request's user as the actor. ``KEY_PAGES`` lists them (route, name, guard);
``key_page_urls(mount)`` turns them into URL patterns: apikeys/urls.py mounts them for
the signed-in trader under /api-management/, subaccounts/urls.py for one of its
sub-accounts under /subaccounts/<sub_code>/api-management/. URL kwargs: ``sub_code``
(a sub-account), ``key_code`` (a key). Every key is fetched through
``get_key_or_404(owner, key_code)``: another account's key is a 404 on every page.
"""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import code_confirmed
from accounts.emailverify import email_verified
from accounts.twofactor import has_2fa
from core import showonce
from core.net import client_ip
from reviews.services import frozen_refusal, is_approved, latest_application

from . import services
from .forms import (
    ConfirmForm,
    CreateApiKeyForm,
    ExtendKeyForm,
    IdlePolicyForm,
    ModifyApiKeyForm,
    RollSecretForm,
    WhitelistUsedIpForm,
)
from .models import ApiKey, AuditEvent
from .usage import key_usage
from .whitelist import IpWhitelist, WhitelistError

SECRET_TO_SHOW = "apikeys_secret_to_show"
# The secret waits (encrypted) in the session for the page that shows it, no longer.
SECRET_TO_SHOW_SECONDS = 10 * 60
RECENT_ACTIVITY = 10
KEY_TRAIL = 50


@dataclass(frozen=True)
class KeyUrls:
    """Where one account's key pages live.

    The trader's own: ``KeyUrls()`` (``apikeys:index``, ``apikeys:detail`` …). A
    sub-account's: ``KeyUrls("subaccounts", "apikey_", (sub_code,))`` resolves
    ``subaccounts:apikey_detail`` with the sub-account's code before the key's. The
    page names are those of ``KEY_PAGES``. ``key_page_urls`` builds it from the mount:
    no other code spells a key page's URL.
    """

    namespace: str = "apikeys"
    prefix: str = ""
    args: tuple = ()

    def url(self, name: str, apikey: ApiKey | UUID | None = None) -> str:
        """The page ``name``, of ``apikey`` (a key or its code) for the key's own pages."""
        args = self.args if apikey is None else (*self.args, getattr(apikey, "code", apikey))
        return reverse(f"{self.namespace}:{self.prefix}{name}", args=args)


def get_key_or_404(owner, key_code) -> ApiKey:
    """The one way to fetch a key: scoped to its owner, so any other key is a 404."""
    return get_object_or_404(owner.apikeys, code=key_code)


def creation_blockers(*, actor, owner, has_2fa: bool, approved: bool, key_count: int):
    """What stands between ``actor`` and a new key for ``owner``: a list of reasons."""
    blockers = []
    if not email_verified(owner):
        blockers.append("email")
    if frozen_refusal(owner):
        blockers.append("frozen")
    if not has_2fa:
        blockers.append("2fa")
    if not approved:
        blockers.append("application")
    if key_count >= settings.APIKEY_MAX_PER_ACCOUNT:
        blockers.append("limit")
    return blockers


# --- Pages of one account's keys ---------------------------------------------------


def keys_page(request, *, owner, urls: KeyUrls):
    apikeys = list(owner.apikeys.all())
    actor_has_2fa = has_2fa(request.user)
    ctx = {
        "owner": owner,
        "urls": urls,
        "apikeys": apikeys,
        # The panel itself is the reviews app's ({% application_panel %}).
        "application": latest_application(owner),
        "has_2fa": actor_has_2fa,
        **_limits(),
        "blockers": creation_blockers(
            actor=request.user,
            owner=owner,
            has_2fa=actor_has_2fa,
            approved=is_approved(owner),
            key_count=len(apikeys),
        ),
        "events": AuditEvent.objects.filter(owner=owner)
        .exclude(action=AuditEvent.Action.AUTH_FAILED)
        .select_related("actor")[:RECENT_ACTIVITY],
        "disables_idle": services.disables_idle_keys(owner),
    }
    return render(request, "apikeys/index.html", ctx)


def idle_policy_page(request, *, owner, urls: KeyUrls):
    """The account's "Disable keys idle for N days", turned on or off with a code."""
    current = services.disables_idle_keys(owner)
    form = IdlePolicyForm(
        request.POST or None, actor=request.user, initial={"disable_idle": current}
    )
    if request.method == "POST" and form.is_valid():
        wanted = form.cleaned_data["disable_idle"]
        changed = services.set_idle_policy(
            owner=owner, actor=request.user, disable_idle=wanted, ip=client_ip(request)
        )
        state = "on" if wanted else "off"
        if changed:
            messages.success(request, f"Disabling idle keys is now {state}.")
        else:
            messages.info(request, f"Disabling idle keys was already {state}.")
        return redirect(urls.url("index"))
    ctx = {"form": form, "owner": owner, "urls": urls, "current": current, **_limits()}
    return render(request, "apikeys/idle_policy.html", ctx)


def new_key_page(request, *, owner, urls: KeyUrls):
    blockers = creation_blockers(
        actor=request.user,
        owner=owner,
        has_2fa=has_2fa(request.user),
        approved=is_approved(owner),
        key_count=owner.apikeys.count(),
    )
    if blockers == ["limit"]:
        # Nothing to wait for: the limit stays until a key is deleted.
        messages.error(request, services.limit_reached_message())
        return redirect(urls.url("index"))
    if blockers:
        messages.error(request, "You can't create an API key yet: see below for what's missing.")
        return redirect(urls.url("index"))
    form = CreateApiKeyForm(request.POST or None, actor=request.user, owner=owner)
    if request.method == "POST" and form.is_valid():
        try:
            new_key = services.create_key(
                owner=owner, actor=request.user, ip=client_ip(request), **form.service_kwargs()
            )
        except services.KeyRefused as refused:
            form.add_error(refused.field, str(refused))
        else:
            _stash_secret(request, new_key)
            for warning in form.whitelist_warnings:
                messages.warning(request, warning)
            return redirect(urls.url("secret", new_key.apikey))
    ctx = {
        "form": form,
        "owner": owner,
        "urls": urls,
        "creating": True,
        **_limits(),
        **your_ip(request),
    }
    return render(request, "apikeys/key_form.html", ctx)


def your_ip(request) -> dict:
    """ "Your IP" beside the whitelist field: the address we see for this browser (through
    our proxies, core.net.client_ip) and the whitelist's own warnings about it (loopback,
    private)."""
    ip = client_ip(request)
    try:
        warnings = IpWhitelist.parse(ip).warnings if ip else ()
    except WhitelistError:
        ip, warnings = "", ()
    return {"your_ip": ip, "your_ip_warnings": warnings}


# Hides the locals of this page and of everything it calls (the template's context
# holds the secret) from error reports.
@sensitive_variables()
def secret_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    rolled = showonce.waiting(request.session, SECRET_TO_SHOW, tag=_roll_tag(apikey))
    if not rolled and not showonce.waiting(request.session, SECRET_TO_SHOW, tag=str(apikey.code)):
        messages.info(
            request,
            "The secret is shown only once, right after it is made, and can't be "
            "shown again. If you lost it, “Roll secret” gives this key a new one.",
        )
        return redirect(urls.url("detail", apikey))
    secret = showonce.take(request.session, SECRET_TO_SHOW, max_age_seconds=SECRET_TO_SHOW_SECONDS)
    if secret is None:
        messages.info(
            request,
            "The secret is shown for a few minutes only, and that time is up. "
            "If you didn't save it, “Roll secret” gives this key a new one.",
        )
        return redirect(urls.url("detail", apikey))
    ctx = {
        "apikey": apikey,
        "secret": secret,
        "owner": owner,
        "urls": urls,
        "credentials": credentials_file(apikey, secret),
        "rolled": rolled,
    }
    return showonce.render(request, "apikeys/secret.html", ctx)


def credentials_file(apikey, secret: str) -> dict:
    """What "Download credentials" saves: the browser builds the file from this (it is in
    the page already; the server never stores or serves it as a file)."""
    whitelist = ", ".join(apikey.whitelist_display) or (
        f"none: any IP, works until {apikey.works_until}" if apikey.expires_at else "none: any IP"
    )
    secret_name = "Private key (PEM)" if apikey.key_type == "ed25519" else "Secret key"
    gap = "\n" if "\n" in secret else " "  # a PEM starts on its own line
    lines = [
        f"API key name: {apikey.alias}",
        f"Key type: {apikey.get_key_type_display()}",
        f"API key: {apikey.api_key}",
        f"{secret_name}:{gap}{secret.strip()}",
        f"Permissions: {', '.join(p.title() for p in apikey.permissions)}",
        f"IP whitelist: {whitelist}",
        f"Created: {apikey.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    return {"filename": f"{apikey.alias}-api-key.txt", "text": "\n".join(lines) + "\n"}


def key_detail_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    ctx = {
        "apikey": apikey,
        "owner": owner,
        "urls": urls,
        "events": apikey.events.select_related("actor")[:KEY_TRAIL],
        "usage": key_usage(apikey),
        **_limits(),
    }
    return render(request, "apikeys/detail.html", ctx)


def modify_key_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    form = ModifyApiKeyForm(request.POST or None, actor=request.user, owner=owner, apikey=apikey)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.modify_key(
                owner=owner,
                actor=request.user,
                apikey=apikey,
                ip=client_ip(request),
                **form.service_kwargs(),
            )
        except services.KeyRefused as refused:
            form.add_error(refused.field, str(refused))
        except ApiKey.DoesNotExist:
            raise Http404 from None  # deleted while the form was open
        else:
            if changes:
                messages.success(request, f"API key “{form.cleaned_data['alias']}” modified.")
            else:
                messages.info(request, "Nothing changed.")
            for warning in form.whitelist_warnings:
                messages.warning(request, warning)
            return redirect(urls.url("detail", apikey))
    ctx = {
        "form": form,
        "apikey": apikey,
        "owner": owner,
        "urls": urls,
        "creating": False,
        **_limits(),
        **your_ip(request),
    }
    return render(request, "apikeys/key_form.html", ctx)


def roll_secret_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    form = RollSecretForm(request.POST or None, actor=request.user, apikey=apikey)
    if request.method == "POST" and form.is_valid():
        try:
            rolled = services.roll_secret(
                owner=owner,
                actor=request.user,
                apikey=apikey,
                ip=client_ip(request),
                **form.service_kwargs(),
            )
        except ApiKey.DoesNotExist:
            raise Http404 from None  # deleted while the form was open
        _stash_secret(request, rolled, tag=_roll_tag(apikey))
        return redirect(urls.url("secret", apikey))
    ctx = {"form": form, "apikey": apikey, "owner": owner, "urls": urls}
    return render(request, "apikeys/roll.html", ctx)


def extend_key_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    form = ExtendKeyForm(request.POST or None, actor=request.user, apikey=apikey)
    if request.method == "POST" and form.is_valid():
        try:
            services.extend_key(
                owner=owner,
                actor=request.user,
                apikey=apikey,
                expires_on=form.cleaned_data["expires_on"],
                ip=client_ip(request),
            )
        except services.KeyRefused as refused:
            form.add_error("expires_on", str(refused))
        except ApiKey.DoesNotExist:
            raise Http404 from None
        else:
            apikey.refresh_from_db(fields=["expires_at"])
            messages.success(request, f"“{apikey.alias}” now works until {apikey.works_until}.")
            return redirect(urls.url("detail", apikey))
    ctx = {"form": form, "apikey": apikey, "owner": owner, "urls": urls, **_limits()}
    return render(request, "apikeys/extend.html", ctx)


def enable_key_page(request, *, owner, urls: KeyUrls, key_code):
    """ "Enable": a disabled key works again, confirmed with a code. A key whose secret
    leaked is not enabled: the page says to roll its secret instead."""
    apikey = get_key_or_404(owner, key_code)
    if apikey.disabled_at is None:
        messages.info(request, f"“{apikey.alias}” is not disabled.")
        return redirect(urls.url("detail", apikey))
    leaked = apikey.disabled_reason == ApiKey.DisabledReason.LEAKED
    form = ConfirmForm(request.POST or None, actor=request.user)
    if request.method == "POST" and not leaked and form.is_valid():
        try:
            services.enable_key(
                owner=owner, actor=request.user, apikey=apikey, ip=client_ip(request)
            )
        except services.KeyRefused as refused:
            form.add_error(None, str(refused))
        except ApiKey.DoesNotExist:
            raise Http404 from None
        else:
            messages.success(request, f"“{apikey.alias}” is enabled: it works again.")
            return redirect(urls.url("detail", apikey))
    ctx = {
        "form": form,
        "apikey": apikey,
        "owner": owner,
        "urls": urls,
        "leaked": leaked,
        "leaked_needs_roll": services.LEAKED_NEEDS_ROLL,
    }
    return render(request, "apikeys/enable.html", ctx)


def end_grace_page(request, *, owner, urls: KeyUrls, key_code):
    """ "End now": the secret before the last roll stops working at once."""
    apikey = get_key_or_404(owner, key_code)
    try:
        ended = services.end_grace(
            owner=owner, actor=request.user, apikey=apikey, ip=client_ip(request)
        )
    except ApiKey.DoesNotExist:
        raise Http404 from None
    if ended:
        messages.success(request, "The old secret no longer works.")
    else:
        messages.info(request, "The old secret had already stopped working.")
    return redirect(urls.url("detail", apikey))


def delete_key_page(request, *, owner, urls: KeyUrls, key_code):
    apikey = get_key_or_404(owner, key_code)
    form = ConfirmForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_key(
                owner=owner, actor=request.user, apikey=apikey, ip=client_ip(request)
            )
        except ApiKey.DoesNotExist:
            raise Http404 from None  # already deleted by a concurrent request
        messages.success(request, f"API key “{apikey.alias}” deleted. It can't be used any more.")
        return redirect(urls.url("index"))
    ctx = {"form": form, "apikey": apikey, "owner": owner, "urls": urls}
    return render(request, "apikeys/delete.html", ctx)


def delete_all_page(request, *, owner, urls: KeyUrls):
    apikeys = list(owner.apikeys.all())
    if not apikeys:
        messages.info(request, "There are no API keys to delete.")
        return redirect(urls.url("index"))
    form = ConfirmForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        count = services.delete_all_keys(owner=owner, actor=request.user, ip=client_ip(request))
        messages.success(request, f"All {count} API key{'s' if count != 1 else ''} deleted.")
        return redirect(urls.url("index"))
    ctx = {"form": form, "apikeys": apikeys, "owner": owner, "urls": urls}
    return render(request, "apikeys/delete_all.html", ctx)


@sensitive_variables()
def _stash_secret(request, new_key: services.NewKey, *, tag: str = "") -> None:
    tag = tag or str(new_key.apikey.code)
    showonce.put(request.session, SECRET_TO_SHOW, new_key.secret, tag=tag)


def _roll_tag(apikey) -> str:
    # The secret page says "new secret" rather than "key created" for a roll.
    return f"roll:{apikey.code}"


def _limits() -> dict:
    return {
        "limit": settings.APIKEY_MAX_PER_ACCOUNT,
        "expiry_days": settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS,
        "max_expiry_days": settings.APIKEY_MAX_EXPIRY_DAYS,
        "idle_days": settings.APIKEY_IDLE_DAYS,
    }


def whitelist_used_ip_page(request, *, owner, urls: KeyUrls, key_code):
    """Add an IP the key was used from to its whitelist (the usage panel's button)."""
    apikey = get_key_or_404(owner, key_code)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = urls.url("detail", apikey)
    form = WhitelistUsedIpForm(request.POST, user=request.user, apikey=apikey)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    try:
        services.add_to_whitelist(
            owner=owner,
            actor=request.user,
            apikey=apikey,
            address=form.cleaned_data["ip"],
            ip=client_ip(request),
        )
    except (services.KeyRefused, WhitelistError) as refused:
        messages.error(request, str(refused))
    except ApiKey.DoesNotExist:
        raise Http404 from None  # deleted meanwhile
    else:
        messages.success(request, f"{form.cleaned_data['ip']} is now on the key's whitelist.")
    # Not redirect(): it would take a next of "0" for a view name (a 500).
    return HttpResponseRedirect(back)


# --- The pages, declared once ----------------------------------------------------


def _read(view):
    return require_safe(login_required(view))


def _action(view):
    return require_POST(code_confirmed(view))


# (route, name, page, guard). A page with a key takes ``key_code`` from its route.
KEY_PAGES = (
    ("", "index", keys_page, _read),
    ("keys/new/", "new", new_key_page, code_confirmed),
    ("idle-keys/", "idle_keys", idle_policy_page, code_confirmed),
    ("keys/delete-all/", "delete_all", delete_all_page, code_confirmed),
    ("keys/<uuid:key_code>/", "detail", key_detail_page, _read),
    ("keys/<uuid:key_code>/secret/", "secret", secret_page, code_confirmed),
    ("keys/<uuid:key_code>/modify/", "modify", modify_key_page, code_confirmed),
    ("keys/<uuid:key_code>/delete/", "delete", delete_key_page, code_confirmed),
    ("keys/<uuid:key_code>/roll/", "roll", roll_secret_page, code_confirmed),
    ("keys/<uuid:key_code>/extend/", "extend", extend_key_page, code_confirmed),
    ("keys/<uuid:key_code>/enable/", "enable", enable_key_page, code_confirmed),
    ("keys/<uuid:key_code>/end-grace/", "end_grace", end_grace_page, _action),
    (
        "keys/<uuid:key_code>/whitelist-used-ip/",
        "whitelist_used_ip",
        whitelist_used_ip_page,
        _action,
    ),
)


@dataclass(frozen=True)
class Mount:
    """Where and for whom the key pages are served.

    ``owner(request, **kwargs)`` finds whose keys they are from the mount's own URL
    kwargs (none for the trader's; ``sub_code`` for a sub-account's), or raises
    Http404; ``guard`` wraps every page (a sub-account's pages need a verified parent).
    """

    namespace: str
    owner: Callable
    route: str = ""
    prefix: str = ""
    guard: Callable | None = None


def key_page_urls(mount: Mount) -> list:
    """The URL patterns of every page of ``KEY_PAGES``, served for ``mount``."""
    return [
        path(mount.route + route, _mounted(mount, page, guard), name=mount.prefix + name)
        for route, name, page, guard in KEY_PAGES
    ]


def _mounted(mount: Mount, page, guard):
    def view(request, key_code=None, **mount_kwargs):
        owner = mount.owner(request, **mount_kwargs)
        urls = KeyUrls(mount.namespace, mount.prefix, tuple(mount_kwargs.values()))
        one_key = {} if key_code is None else {"key_code": key_code}
        return page(request, owner=owner, urls=urls, **one_key)

    view.__name__ = view.__qualname__ = f"{mount.namespace}_{page.__name__}"
    # The mount's guard inside the page's: a wrong method is a 405 before anything else.
    return guard(mount.guard(view) if mount.guard else view)


def own_keys_owner(request):
    return request.user


OWN_KEYS_MOUNT = Mount("apikeys", own_keys_owner)
