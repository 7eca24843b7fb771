"""The project's URLs plus views that fail, for the error-page tests (handlers included)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import handler500  # noqa: F401
from config.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("a bug")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a mangled request")


urlpatterns = [
    path("boom/", boom),
    path("forbidden/", forbidden),
    path("suspicious/", suspicious),
    *project_urls,
]
