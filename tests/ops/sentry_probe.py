"""Run in a subprocess by test_sentry.py: Sentry turned on with a transport that keeps
the envelopes, one failing request carrying every kind of secret, the envelopes printed.

A process of its own: sentry-sdk patches Django once per process and for good.
"""

import json
import os
import sys

import django
from sentry_sdk.transport import Transport

# On standard input, not argv: Sentry reports sys.argv with every event.
SECRETS = json.loads(sys.stdin.read())
captured = []


class KeepingTransport(Transport):
    def capture_envelope(self, envelope):
        captured.append(envelope.serialize().decode("utf-8", "replace"))


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

from config import urls  # noqa: E402
from config.sentry import init_sentry  # noqa: E402


def failing_view(request):
    code = request.POST["code"]  # noqa: F841  (a local the frame shows)
    plain_secret = SECRETS["secret"]  # noqa: F841
    private_pem = SECRETS["pem"]  # noqa: F841
    raise RuntimeError("boom in a view")


urls.urlpatterns.insert(0, path("boom/", failing_view))
# No database in this process: the session cookie is looked up in the (local) cache.
settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
init_sentry("https://public@sentry.example/1", environment="test", transport=KeepingTransport)

Client(raise_request_exception=False).post(
    "/boom/",
    {"code": SECRETS["code"], "password": SECRETS["password"], "secret": SECRETS["secret"]},
    headers={
        "X-API-KEY": SECRETS["api_key"],
        "X-API-SIGNATURE": SECRETS["signature"],
        "Cookie": f"sessionid={SECRETS['session']}",
    },
    HTTP_HOST="127.0.0.1",
)
import sentry_sdk  # noqa: E402

sentry_sdk.flush()
print(json.dumps(captured))
