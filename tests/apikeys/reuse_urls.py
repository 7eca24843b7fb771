"""A stand-in for the sub-accounts app: the key pages mounted for a sub-account.

Proves that the page functions, forms, services and templates serve another owner
under another URL prefix, as the parent's management of sub-account keys needs.
"""

from django.shortcuts import get_object_or_404
from django.urls import include, path

from accounts.decorators import twofactor_required
from apikeys import views


def scoped(page):
    @twofactor_required
    def view(request, sub, **kwargs):
        owner = get_object_or_404(request.user.subaccounts, username=sub)
        urls = views.KeyUrls("reuse", "key_", (owner.username,))
        return page(request, owner=owner, urls=urls, **kwargs)

    return view


patterns = [
    path("", scoped(views.keys_page), name="key_index"),
    path("keys/new/", scoped(views.new_key_page), name="key_new"),
    path("keys/delete-all/", scoped(views.delete_all_page), name="key_delete_all"),
    path("keys/<uuid:code>/", scoped(views.key_detail_page), name="key_detail"),
    path("keys/<uuid:code>/secret/", scoped(views.secret_page), name="key_secret"),
    path("keys/<uuid:code>/modify/", scoped(views.modify_key_page), name="key_modify"),
    path("keys/<uuid:code>/delete/", scoped(views.delete_key_page), name="key_delete"),
]

urlpatterns = [
    path("", include("config.urls")),
    path("sub/<str:sub>/", include((patterns, "reuse"))),
]
