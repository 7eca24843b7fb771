"""The API Management pages.

The pages of one account's keys are functions of ``owner`` (whose keys) and ``urls``
(where its pages live), with the request's user as the actor. The views at the bottom
serve a trader's own keys under /api-management/; the sub-accounts app serves a
sub-account's keys with the same page functions, its own URLs and the sub-account as
the owner. Every key is fetched through ``get_key_or_404(owner, code)``: another
account's key is a 404 on every page, by construction.
"""

from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_safe

from accounts.decorators import twofactor_required
from accounts.emailverify import email_verified
from accounts.net import client_ip
from accounts.twofactor import has_2fa
from reviews.services import application_panel

from . import keys, services
from .forms import ConfirmForm, CreateApiKeyForm, ModifyApiKeyForm
from .models import ApiKey, AuditEvent

SECRET_TO_SHOW = "apikeys_secret_to_show"
# The secret waits (encrypted) in the session for the page that shows it, no longer.
SECRET_TO_SHOW_SECONDS = 10 * 60
# The API helper's usage panel for the key page; shown once that template exists.
USAGE_TEMPLATE = "api/_key_usage.html"
RECENT_ACTIVITY = 10
KEY_TRAIL = 50


@dataclass(frozen=True)
class KeyUrls:
    """Where one account's key pages live.

    The trader's own: ``KeyUrls()`` (``apikeys:index``, ``apikeys:detail`` …). A
    sub-account's: e.g. ``KeyUrls("subaccounts", "key_", (sub.code,))`` resolves
    ``subaccounts:key_detail`` with the sub-account's code before the key's. The page
    names are index, new, secret, detail, modify, delete and delete_all.
    """

    namespace: str = "apikeys"
    prefix: str = ""
    args: tuple = ()

    def url(self, name: str, apikey: ApiKey | UUID | None = None) -> str:
        """The page ``name``, of ``apikey`` (a key or its code) for the key's own pages."""
        args = self.args if apikey is None else (*self.args, getattr(apikey, "code", apikey))
        return reverse(f"{self.namespace}:{self.prefix}{name}", args=args)


OWN_KEYS = KeyUrls()


def get_key_or_404(owner, code) -> ApiKey:
    """The one way to fetch a key: scoped to its owner, so any other key is a 404."""
    return get_object_or_404(owner.apikeys, code=code)


def creation_blockers(*, actor, owner, has_2fa: bool, approved: bool, key_count: int):
    """What stands between ``actor`` and a new key for ``owner``: a list of reasons."""
    blockers = []
    if not email_verified(owner):
        blockers.append("email")
    if not has_2fa:
        blockers.append("2fa")
    if not approved:
        blockers.append("application")
    if key_count >= settings.APIKEY_MAX_PER_ACCOUNT:
        blockers.append("limit")
    return blockers


# --- Pages of one account's keys ---------------------------------------------------


def keys_page(
    request, *, owner, urls: KeyUrls, template="apikeys/index.html", extra_ctx: dict | None = None
):
    apikeys = list(owner.apikeys.all())
    panel = application_panel(owner)
    actor_has_2fa = has_2fa(request.user)
    ctx = {
        "owner": owner,
        "urls": urls,
        "apikeys": apikeys,
        "panel": panel,
        "has_2fa": actor_has_2fa,
        **_limits(),
        "blockers": creation_blockers(
            actor=request.user,
            owner=owner,
            has_2fa=actor_has_2fa,
            approved=panel["approved"],
            key_count=len(apikeys),
        ),
        "events": AuditEvent.objects.filter(owner=owner)
        .exclude(action=AuditEvent.Action.AUTH_FAILED)
        .select_related("actor")[:RECENT_ACTIVITY],
        **(extra_ctx or {}),
    }
    return render(request, template, ctx)


def new_key_page(request, *, owner, urls: KeyUrls):
    blockers = creation_blockers(
        actor=request.user,
        owner=owner,
        has_2fa=has_2fa(request.user),
        approved=application_panel(owner)["approved"],
        key_count=owner.apikeys.count(),
    )
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
    ctx = {"form": form, "owner": owner, "urls": urls, "creating": True, **_limits()}
    return render(request, "apikeys/key_form.html", ctx)


# Hides the locals of this page and of everything it calls (the template's context
# holds the secret) from error reports.
@sensitive_variables()
def secret_page(request, *, owner, urls: KeyUrls, code):
    apikey = get_key_or_404(owner, code)
    # Popped as it is rendered: a reload, the back button or a second visit find nothing.
    stashed = request.session.get(SECRET_TO_SHOW) or {}
    if stashed.get("code") != str(apikey.code):
        messages.info(
            request,
            "The secret is shown only once, right after creation, and can't be "
            "shown again. If you lost it, delete this key and create a new one.",
        )
        return redirect(urls.url("detail", apikey))
    sealed = request.session.pop(SECRET_TO_SHOW)["sealed"]
    secret = keys.open_for_display(sealed, max_age_seconds=SECRET_TO_SHOW_SECONDS)
    if secret is None:
        messages.info(
            request,
            "The secret was shown for a few minutes only, and that time "
            "is up. Delete this key and create a new one.",
        )
        return redirect(urls.url("detail", apikey))
    ctx = {"apikey": apikey, "secret": secret, "owner": owner, "urls": urls}
    response = render(request, "apikeys/secret.html", ctx)
    response["Cache-Control"] = "no-store"
    return response


def key_detail_page(request, *, owner, urls: KeyUrls, code):
    apikey = get_key_or_404(owner, code)
    ctx = {
        "apikey": apikey,
        "owner": owner,
        "urls": urls,
        "events": apikey.events.select_related("actor")[:KEY_TRAIL],
        "usage_template": _optional_template(USAGE_TEMPLATE),
    }
    return render(request, "apikeys/detail.html", ctx)


def modify_key_page(request, *, owner, urls: KeyUrls, code):
    apikey = get_key_or_404(owner, code)
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
                messages.success(request, f"API key “{form.cleaned_data['alias']}” saved.")
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
    }
    return render(request, "apikeys/key_form.html", ctx)


def delete_key_page(request, *, owner, urls: KeyUrls, code):
    apikey = get_key_or_404(owner, code)
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
def _stash_secret(request, new_key: services.NewKey) -> None:
    request.session[SECRET_TO_SHOW] = {
        "code": str(new_key.apikey.code),
        # Sessions live in the database: the secret goes there only encrypted.
        "sealed": keys.seal_for_display(new_key.secret),
    }


def _limits() -> dict:
    return {
        "limit": settings.APIKEY_MAX_PER_ACCOUNT,
        "expiry_days": settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS,
    }


def _optional_template(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


# --- The trader's own keys, under /api-management/ -----------------------------------


@require_safe
@login_required
def index(request):
    return keys_page(request, owner=request.user, urls=OWN_KEYS)


@twofactor_required
@sensitive_post_parameters("code")
@never_cache
def new_key(request):
    return new_key_page(request, owner=request.user, urls=OWN_KEYS)


@twofactor_required
@never_cache
def secret(request, code):
    return secret_page(request, owner=request.user, urls=OWN_KEYS, code=code)


@require_safe
@login_required
def detail(request, code):
    return key_detail_page(request, owner=request.user, urls=OWN_KEYS, code=code)


@twofactor_required
@sensitive_post_parameters("code")
@never_cache
def modify(request, code):
    return modify_key_page(request, owner=request.user, urls=OWN_KEYS, code=code)


@twofactor_required
@sensitive_post_parameters("code")
@never_cache
def delete(request, code):
    return delete_key_page(request, owner=request.user, urls=OWN_KEYS, code=code)


@twofactor_required
@sensitive_post_parameters("code")
@never_cache
def delete_all(request):
    return delete_all_page(request, owner=request.user, urls=OWN_KEYS)
