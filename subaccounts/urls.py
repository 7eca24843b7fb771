from django.urls import path

from . import views

app_name = "subaccounts"

urlpatterns = [
    path("", views.index, name="index"),
]
