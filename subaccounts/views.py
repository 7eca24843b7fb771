import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import code_confirmed, twofactor_required
from accounts.forms import TwoFactorForm
from accounts.models import Balance
from accounts.money import format_amount
from accounts.services import total_usdt, transfers_of
from apikeys import views as key_pages
from apikeys.models import ApiKey

from . import services
from .forms import FreezeForm, SubaccountForm, TransferForm


def get_subaccount_or_404(request, code):
    """The signed-in parent's sub-account with this code. Anyone else's is a 404."""
    return get_object_or_404(
        request.user.active_subaccounts().select_related("subaccount"),
        subaccount__code=code,
    )


def _subaccounts_of(parent):
    return (
        parent.active_subaccounts()
        .select_related("subaccount")
        .prefetch_related(Prefetch("balances", queryset=Balance.objects.select_related("asset")))
        .annotate(key_count=Count("apikeys"))
        .order_by("username")
    )


def _index_page(request, form, status=200):
    subaccounts = list(_subaccounts_of(request.user))
    for sub in subaccounts:
        sub.balance_usdt = total_usdt(sub.balances.all())
    ctx = {
        "subaccounts": subaccounts,
        "form": form,
        "limit": settings.SUBACCOUNTS_MAX_PER_PARENT,
    }
    return render(request, "subaccounts/index.html", ctx, status=status)


@require_safe
@twofactor_required
def index(request):
    return _index_page(request, SubaccountForm(user=request.user))


@require_POST
@code_confirmed
def create(request):
    form = SubaccountForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            sub = services.create_subaccount(
                parent=request.user,
                name=form.cleaned_data["name"],
                note=form.cleaned_data["note"],
            )
        except services.SubaccountError as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, f"Sub-account {sub.username} created.")
            return redirect("subaccounts:detail", code=sub.subaccount.code)
    return _index_page(request, form, status=400)


def _detail_page(
    request, sub, *, freeze_form=None, delete_form=None, transfer_form=None, status=200
):
    ctx = {
        "sub": sub,
        "balances": list(sub.balances.select_related("asset")),
        "transfers": transfers_of(sub),
        "transfer_form": transfer_form
        or TransferForm(user=request.user, subaccount=sub, auto_id="transfer_%s"),
        "key_count": sub.apikeys.count(),
        "key_limit": settings.APIKEY_MAX_PER_ACCOUNT,
        "blockers": services.deletion_blockers(sub),
        "freeze_form": freeze_form
        or FreezeForm(
            user=request.user, auto_id="freeze_%s", initial={"frozen": not sub.is_frozen}
        ),
        "delete_form": delete_form or TwoFactorForm(user=request.user, auto_id="delete_%s"),
    }
    ctx["total"] = total_usdt(ctx["balances"])
    return render(request, "subaccounts/detail.html", ctx, status=status)


@require_safe
@twofactor_required
def detail(request, code):
    return _detail_page(request, get_subaccount_or_404(request, code))


@require_POST
@code_confirmed
def freeze(request, code):
    sub = get_subaccount_or_404(request, code)
    form = FreezeForm(request.POST, user=request.user, auto_id="freeze_%s")
    if not form.is_valid():
        return _detail_page(request, sub, freeze_form=form, status=400)
    frozen = form.cleaned_data["frozen"]
    services.set_frozen(subaccount=sub, frozen=frozen)
    if frozen:
        messages.warning(request, f"{sub.username} is frozen: its API keys are refused.")
    else:
        messages.success(request, f"{sub.username} is active again.")
    return redirect("subaccounts:detail", code=code)


@require_POST
@code_confirmed
def transfer(request, code):
    sub = get_subaccount_or_404(request, code)
    form = TransferForm(request.POST, user=request.user, subaccount=sub, auto_id="transfer_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = services.transfer(
                parent=request.user,
                subaccount=sub,
                asset=data["asset"],
                amount=data["amount"],
                direction=data["direction"],
            )
        except services.SubaccountError as refused:
            form.add_error("amount", str(refused))
        else:
            messages.success(
                request,
                f"Transferred {format_amount(done.amount)} {done.asset} "
                f"from {done.from_user.username} to {done.to_user.username}.",
            )
            return redirect("subaccounts:detail", code=code)
    return _detail_page(request, sub, transfer_form=form, status=400)


@require_POST
@code_confirmed
def delete(request, code):
    sub = get_subaccount_or_404(request, code)
    form = TwoFactorForm(request.POST, user=request.user, auto_id="delete_%s")
    if form.is_valid():
        try:
            services.delete_subaccount(subaccount=sub)
        except services.SubaccountError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Sub-account {sub.username} deleted.")
            return redirect("subaccounts:index")
    return _detail_page(request, sub, delete_form=form, status=400)


KEYS_PER_PAGE = 50
PERMISSION_FILTERS = {"trade": {"can_trade": True}, "withdraw": {"can_withdraw": True}}


@require_safe
@twofactor_required
def keys_overview(request):
    """Every key of every sub-account, a page at a time, in a constant number of queries."""
    subaccounts = list(request.user.active_subaccounts().select_related("subaccount"))
    keys = ApiKey.objects.filter(user__in=subaccounts).select_related("user__subaccount")
    chosen = request.GET.get("subaccount", "")
    if _is_uuid(chosen):
        keys = keys.filter(user__subaccount__code=chosen)
    permission = request.GET.get("permission", "")
    keys = keys.filter(**PERMISSION_FILTERS.get(permission, {}))
    page = Paginator(keys.order_by("user__username", "-created_at"), KEYS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    ctx = {
        "subaccounts": subaccounts,
        "page": page,
        # The key list's own row, with each key's pages where its sub-account mounts them.
        "rows": [(key, _key_urls(key.user.subaccount.code)) for key in page],
        "chosen": chosen,
        "permission": permission,
        # The filters, kept when moving between pages.
        "filters": urlencode({"subaccount": chosen, "permission": permission}),
    }
    return render(request, "subaccounts/keys.html", ctx)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- A sub-account's keys: the API Management pages, with the sub-account as owner ---


def _subaccount_owner(request, sub_code):
    return get_subaccount_or_404(request, sub_code)


# The same pages, forms, services, rules and templates as the parent's own keys; only
# the owner (the sub-account, or a 404 if it isn't the parent's) and the URLs differ.
# The parent is the actor: its 2FA code confirms every action.
SUBACCOUNT_KEYS_MOUNT = key_pages.Mount(
    "subaccounts",
    _subaccount_owner,
    route="<uuid:sub_code>/api-management/",
    prefix="apikey_",
    guard=code_confirmed,
)


def _key_urls(sub_code) -> key_pages.KeyUrls:
    """Where a sub-account's key pages live (the mount above)."""
    mount = SUBACCOUNT_KEYS_MOUNT
    return key_pages.KeyUrls(mount.namespace, mount.prefix, (sub_code,))
