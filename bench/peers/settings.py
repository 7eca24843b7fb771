"""The peers' Django project: what a Django team would run instead of our signed API.

Django REST Framework's ``TokenAuthentication`` and djangorestframework-api-key's
``HasAPIKey`` behind one small JSON endpoint each, like our ``GET /api/v1/key``. The
settings a new Django project starts with (``startproject``'s middleware), production
flags as ours run in the bench (DEBUG off, persistent database connections), the same
DATABASE_URL kind as the stack it is compared with. Bench-only: DRF and
djangorestframework-api-key are the ``bench`` extra (requirements-bench.txt), never in
the product's lock or INSTALLED_APPS.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-peers-only-not-a-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_api_key",
]

# `django-admin startproject`'s list, as a team adopting DRF would have it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.peers.urls"
WSGI_APPLICATION = "bench.peers.wsgi.application"
TEMPLATES = []

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'peers.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

# JSON only, as an API-only project configures it; each view names its own checks.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
