from django.urls import path

from apikeys.views import key_page_urls

from . import views

app_name = "subaccounts"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("keys/", views.keys_overview, name="keys"),
    path("<uuid:code>/", views.detail, name="detail"),
    path("<uuid:code>/freeze/", views.freeze, name="freeze"),
    path("<uuid:code>/transfer/", views.transfer, name="transfer"),
    path("<uuid:code>/delete/", views.delete, name="delete"),
    # A sub-account's API Management: the same pages as /api-management/.
    *key_page_urls(views.SUBACCOUNT_KEYS_MOUNT),
]
