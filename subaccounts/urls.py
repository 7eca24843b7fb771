from django.urls import path

from . import views

app_name = "subaccounts"

keys = "<uuid:sub>/api-management/"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("keys/", views.keys_overview, name="keys"),
    path("<uuid:code>/", views.detail, name="detail"),
    path("<uuid:code>/freeze/", views.freeze, name="freeze"),
    path("<uuid:code>/transfer/", views.transfer, name="transfer"),
    path("<uuid:code>/delete/", views.delete, name="delete"),
    # A sub-account's API Management: the same pages as /api-management/.
    path(keys, views.apikey_index, name="apikey_index"),
    path(keys + "keys/new/", views.apikey_new, name="apikey_new"),
    path(keys + "keys/delete-all/", views.apikey_delete_all, name="apikey_delete_all"),
    path(keys + "keys/<uuid:code>/", views.apikey_detail, name="apikey_detail"),
    path(keys + "keys/<uuid:code>/secret/", views.apikey_secret, name="apikey_secret"),
    path(keys + "keys/<uuid:code>/modify/", views.apikey_modify, name="apikey_modify"),
    path(keys + "keys/<uuid:code>/delete/", views.apikey_delete, name="apikey_delete"),
]
