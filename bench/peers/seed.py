"""Seed the peers' database and count their SQL queries per request, in-process.

    DJANGO_SETTINGS_MODULE=bench.peers.settings DATABASE_URL=... python -m bench.peers.seed 20

Migrates, creates ``n`` users with a DRF token each and ``n`` djangorestframework-api-key
keys, and prints JSON: the credentials (``tokens``, ``api_keys``) and the queries a
warm request makes on each endpoint (``queries``).
"""

import json
import os
import sys

PATHS = {"token": "/token/key", "apikey": "/apikey/key"}


def seed(n: int) -> dict:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    tokens, api_keys = [], []
    for i in range(n):
        user = get_user_model().objects.create_user(f"peer-bot-{i}", f"peer{i}@example.com")
        tokens.append(Token.objects.create(user=user).key)
        _, key = APIKey.objects.create_key(name=f"peer-bot-{i}")
        api_keys.append(key)
    return {"token": tokens, "apikey": api_keys}


def authorization(kind: str, credential: str) -> str:
    return f"{'Token' if kind == 'token' else 'Api-Key'} {credential}"


def count_queries(credentials: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for kind, path in PATHS.items():
        header = authorization(kind, credentials[kind][0])
        assert client.get(path, HTTP_AUTHORIZATION=header).status_code == 200, kind
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path, HTTP_AUTHORIZATION=header).status_code
        assert status == 200, (kind, status)
        counts[kind] = len(queries)
    return counts


def main(n: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    credentials = seed(n)
    return {**credentials, "queries": count_queries(credentials)}


if __name__ == "__main__":
    json.dump(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20), sys.stdout)
