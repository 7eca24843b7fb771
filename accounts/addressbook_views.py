"""Security → Address Management: the withdrawal address book and its switch."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from . import addressbook
from .addressbook_forms import AddAddressForm, AddressManagementForm
from .decorators import code_confirmed, twofactor_required


def _page(request, *, add_form=None, switch_form=None, status=200):
    user = request.user
    ctx = {
        "enabled": addressbook.address_management_on(user),
        "entries": user.withdrawal_addresses.select_related("asset"),
        "add_form": add_form or AddAddressForm(user=user, auto_id="add_%s"),
        "switch_form": switch_form or AddressManagementForm(user=user, auto_id="switch_%s"),
        "book_max": addressbook.ADDRESS_BOOK_MAX,
    }
    return render(request, "accounts/addresses.html", ctx, status=status)


@require_safe
@twofactor_required
def addresses(request):
    return _page(request)


@require_POST
@code_confirmed
def add_address(request):
    form = AddAddressForm(request.POST, user=request.user, auto_id="add_%s")
    if form.is_valid():
        try:
            entry = addressbook.add_address(
                user=request.user,
                asset=form.cleaned_data["asset"],
                address=form.cleaned_data["address"],
                label=form.cleaned_data["label"],
            )
        except addressbook.AddressRefused as refused:
            form.add_error("address", str(refused))
        else:
            messages.success(request, f"“{entry.label}” is in your address book.")
            return redirect("accounts:addresses")
    return _page(request, add_form=form, status=400)


@require_POST
@code_confirmed
def switch_address_management(request):
    form = AddressManagementForm(request.POST, user=request.user, auto_id="switch_%s")
    if not form.is_valid():
        return _page(request, switch_form=form, status=400)
    enabled = form.cleaned_data["enabled"]
    addressbook.set_address_management(user=request.user, enabled=enabled)
    if enabled:
        messages.success(
            request, "Address Management is on: withdrawals go only to addresses in your book."
        )
    else:
        messages.warning(request, "Address Management is off: withdrawals may go to any address.")
    return redirect("accounts:addresses")


@require_POST
@twofactor_required
def remove_address(request, code):
    # Removing only narrows where funds may go: no 2FA code needed, CSRF still is.
    entry = get_object_or_404(request.user.withdrawal_addresses, code=code)
    addressbook.remove_address(user=request.user, entry=entry)
    messages.info(request, f"“{entry.label}” is no longer in your address book.")
    return redirect("accounts:addresses")
