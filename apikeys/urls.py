from django.urls import path

from . import views

app_name = "apikeys"

urlpatterns = [
    path("", views.index, name="index"),
    path("keys/new/", views.new_key, name="new"),
    path("keys/delete-all/", views.delete_all, name="delete_all"),
    path("keys/<uuid:code>/", views.detail, name="detail"),
    path("keys/<uuid:code>/secret/", views.secret, name="secret"),
    path("keys/<uuid:code>/modify/", views.modify, name="modify"),
    path("keys/<uuid:code>/delete/", views.delete, name="delete"),
]
