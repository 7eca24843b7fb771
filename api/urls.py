from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("api-docs/", views.docs, name="docs"),
]
