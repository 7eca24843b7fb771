from django.urls import path

from . import views

app_name = "apikeys"

urlpatterns = [
    path("", views.index, name="index"),
]
