"""Pages at scale: queries and server time per page, at small and at large data.

In-process, not through gunicorn: Django's test Client against a throwaway database
(SQLite file, or PostgreSQL when DATABASE_URL is set) with production settings
(DEBUG off). Queries are counted with connection.execute_wrapper on one request; the time
is the median of N requests without the capture (which would slow them down).

    python -m bench.pages [--repeat 15]
"""

import argparse
import json
import time
from datetime import timedelta
from decimal import Decimal
from statistics import median

from bench.stack import Stack, machine

MAX_TIME_RATIO = 1.5


def verified_client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure(client, url: str, repeat: int) -> dict:
    from django.db import connection

    response = client.get(url)  # warm up (templates, URL resolver, connection)
    assert response.status_code == 200, (url, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return {"queries": len(queries), "ms": median(times) * 1000, "bytes": len(response.content)}


def trader(username: str, *, approved=True):
    from django.utils import timezone

    from accounts.models import User
    from reviews.models import Application

    user = User.objects.create_user(username, f"{username}@example.com")
    if approved:
        Application.objects.create(
            user=user,
            status="approved",
            submitted_at=timezone.now(),
            decided_at=timezone.now(),
            due_on=timezone.localdate(),
            balance_usdt=Decimal("1000"),
            threshold_usdt=Decimal("50000"),
            fast_track=False,
        )
    return user


def add_keys(owner, count: int, *, actor=None):
    from apikeys.services import create_key
    from apikeys.whitelist import IpWhitelist

    whitelist = IpWhitelist.parse("203.0.113.10")
    for n in range(count):
        create_key(
            owner=owner, actor=actor or owner, alias=f"bot-{n}", whitelist=whitelist, can_trade=True
        )


def applications(count: int, start: int) -> None:
    """``count`` pending applications, of as many new accounts, in bulk."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from reviews.models import Application

    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"applicant{n}", email=f"applicant{n}@example.com", password=unusable)
        for n in range(start, start + count)
    )
    now, today = timezone.now(), timezone.localdate()
    Application.objects.bulk_create(
        Application(
            user=user,
            submitted_at=now - timedelta(minutes=n),
            due_on=today + timedelta(days=n % 9 - 3),
            balance_usdt=Decimal(n),
            threshold_usdt=Decimal("50000"),
            fast_track=n % 7 == 0,
        )
        for n, user in enumerate(users)
    )


def run(repeat: int) -> dict:
    from django.test.utils import override_settings

    from accounts.models import User
    from subaccounts.services import create_subaccount

    pages = {}
    # Static files by name: the manifest needs collectstatic, and serving them is
    # whitenoise's job, not these pages'.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        small, large = trader("keys1"), trader("keys10")
        add_keys(small, 1)
        add_keys(large, 10)
        pages["API Management (1 vs 10 keys)"] = (
            measure(verified_client(small), "/api-management/", repeat),
            measure(verified_client(large), "/api-management/", repeat),
        )

        parent1, parent20 = trader("parent1"), trader("parent20")
        add_keys(create_subaccount(parent=parent1, name="desk0"), 1, actor=parent1)
        for s in range(20):
            add_keys(create_subaccount(parent=parent20, name=f"desk{s}"), 10, actor=parent20)
        pages["Sub-account keys (1x1 vs 20x10)"] = (
            measure(verified_client(parent1), "/subaccounts/keys/", repeat),
            measure(verified_client(parent20), "/subaccounts/keys/", repeat),
        )

        staff = User.objects.create_superuser("compliance", "compliance@example.com")
        admin = verified_client(staff)
        url = "/admin/reviews/application/"
        applications(10, 0)
        # The six approved traders above are in the queue too, at both sizes.
        at_small = measure(admin, url, repeat)
        applications(9_990, 10)
        pages["Admin queue (10 vs 10,000 applications)"] = (at_small, measure(admin, url, repeat))
    return pages


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    with Stack("pages") as stack:
        stack.configure_django()
        pages = run(args.repeat)
        vendor = stack.vendor

    print("== Pages at scale ==")
    print(f"machine: {machine()}")
    print(f"in-process: Django test Client, DEBUG off, {vendor}; time = median of {args.repeat}")
    print(f"{'page':42} {'queries':>9} {'ms small':>9} {'ms large':>9} {'ratio':>6}  verdict")
    verdict = {}
    for name, (small, large) in pages.items():
        ratio = large["ms"] / small["ms"]
        ok = large["queries"] <= small["queries"] and ratio < MAX_TIME_RATIO
        verdict[name] = ok
        print(
            f"{name:42} {small['queries']:>4} {large['queries']:>4} {small['ms']:9.1f} "
            f"{large['ms']:9.1f} {ratio:6.2f}  {'met' if ok else 'MISSED'}"
        )
    print(f"targets: query count must not grow; time ratio large/small < {MAX_TIME_RATIO}")
    return {"pages": pages, "passed": verdict}


if __name__ == "__main__":
    print("BENCH-RESULT " + json.dumps(main()))
