"""Pages at scale: queries and server time per page, at small and at large data.

The same rows shown at both sizes, so that the time ratio measures growth with the
data behind the page, not the rows rendered: API Management with 10 keys, alone and
among 10,000 audit events; the sub-account key overview's first page of 50 keys, with
50 keys in all and with 200 (20 sub-accounts x 10); the admin review queue's first page
of 100, with 100 applications and with 100,000 (PostgreSQL only: bulk inserts of that
size take minutes on SQLite and say nothing about production).

In-process, not through gunicorn: Django's test Client against a throwaway database
(SQLite file, or PostgreSQL when DATABASE_URL is set) with production settings
(DEBUG off). Queries are counted with connection.execute_wrapper on one request; the time
is the median of N requests without the capture (which would slow them down).

    python -m bench.pages [--repeat 15] [--applications 100000]
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
    return measure_pair((client, url), None, repeat)[0]


def measure_pair(small, large, repeat: int) -> list[dict]:
    """Queries (one request each) and the median time of ``repeat`` requests of each
    (client, url), the two alternating so that warm-up and drift hit both alike."""
    from django.db import connection

    pages = [page for page in (small, large) if page]
    results = []
    for client, url in pages:
        response = client.get(url)  # warm up (templates, URL resolver, connection)
        assert response.status_code == 200, (url, response.status_code)
        queries = []

        def count(execute, sql, params, many, context, _queries=queries):
            _queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        results.append({"queries": len(queries), "bytes": len(response.content), "times": []})
    for _ in range(repeat):
        for (client, url), result in zip(pages, results, strict=True):
            start = time.perf_counter()
            client.get(url)
            result["times"].append(time.perf_counter() - start)
    for result in results:
        result["ms"] = median(result.pop("times")) * 1000
    return results


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
    batch = 5_000
    now, today = timezone.now(), timezone.localdate()
    for first in range(start, start + count, batch):
        numbers = range(first, min(first + batch, start + count))
        users = User.objects.bulk_create(
            User(username=f"applicant{n}", email=f"applicant{n}@example.com", password=unusable)
            for n in numbers
        )
        Application.objects.bulk_create(
            Application(
                user=user,
                submitted_at=now - timedelta(minutes=n),
                due_on=today + timedelta(days=n % 9 - 3),
                balance_usdt=Decimal(n),
                threshold_usdt=Decimal("50000"),
                fast_track=n % 7 == 0,
            )
            for n, user in zip(numbers, users, strict=True)
        )


def audit_history(owner, count: int) -> None:
    """``count`` audit events on ``owner``'s keys, in bulk, spread over a year."""
    from django.utils import timezone

    from apikeys.models import ApiKey, AuditEvent

    keys = list(ApiKey.objects.filter(user=owner))
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                owner=owner,
                actor=owner,
                apikey=keys[n % len(keys)],
                key_code=keys[n % len(keys)].code,
                key_alias=keys[n % len(keys)].alias,
                api_key=keys[n % len(keys)].api_key,
                action=AuditEvent.Action.AUTH_FAILED if n % 3 else AuditEvent.Action.MODIFIED,
                changes={} if n % 3 else {"alias": {"before": "old", "after": "new"}},
                ip="203.0.113.10",
                created_at=now - timedelta(minutes=n + 1),
            )
            for n in range(count)
        ),
        batch_size=5_000,
    )


def run(repeat: int, n_applications: int, vendor: str) -> dict:
    from django.test.utils import override_settings

    from accounts.models import User
    from reviews.models import Application
    from subaccounts.services import create_subaccount

    pages = {}
    # Static files by name: the manifest needs collectstatic, and serving them is
    # whitenoise's job, not these pages'.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        small, large = trader("keys10"), trader("keys10history")
        add_keys(small, 10)
        add_keys(large, 10)
        audit_history(large, 10_000)
        pages["API Management (10 keys; +10,000 audit events)"] = measure_pair(
            (verified_client(small), "/api-management/"),
            (verified_client(large), "/api-management/"),
            repeat,
        )

        parent50, parent200 = trader("parent50"), trader("parent200")
        for s in range(5):
            add_keys(create_subaccount(parent=parent50, name=f"desk{s}"), 10, actor=parent50)
        for s in range(20):
            add_keys(create_subaccount(parent=parent200, name=f"desk{s}"), 10, actor=parent200)
        pages["Sub-account keys, page 1 of 50 (50 vs 200 keys)"] = measure_pair(
            (verified_client(parent50), "/subaccounts/keys/"),
            (verified_client(parent200), "/subaccounts/keys/"),
            repeat,
        )

        if vendor == "postgresql":
            staff = User.objects.create_superuser("compliance", "compliance@example.com")
            admin = verified_client(staff)
            url = "/admin/reviews/application/"
            # The approved traders above are in the queue too, at both sizes: 100 in all.
            # One URL at two sizes: measured one after the other (the large one second,
            # already warm).
            already = Application.objects.count()
            applications(100 - already, 0)
            at_small = measure(admin, url, repeat)
            applications(n_applications - 100, 100)
            pages[f"Admin queue, page 1 of 100 (100 vs {n_applications:,} applications)"] = (
                at_small,
                measure(admin, url, repeat),
            )
    return pages


def verdict(pages: dict) -> dict:
    return {
        name: large["queries"] <= small["queries"] and large["ms"] / small["ms"] <= MAX_TIME_RATIO
        for name, (small, large) in pages.items()
    }


def summary(pages: dict, passed: dict) -> str:
    worst = max(large["ms"] / small["ms"] for small, large in pages.values())
    grew = [name for name, (small, large) in pages.items() if large["queries"] > small["queries"]]
    missed = [name for name, ok in passed.items() if not ok]
    return (
        f"SUMMARY: pages worst time ratio {worst:.2f} (target <= {MAX_TIME_RATIO}), query "
        f"growth on {len(grew)} page(s); "
        + ("all targets MET" if not missed else "MISSED " + "; ".join(missed))
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args(argv)
    with Stack("pages") as stack:
        stack.configure_django()
        pages = run(args.repeat, args.applications, stack.vendor)
        vendor = stack.vendor

    print("== Pages at scale ==")
    print(f"machine: {machine()}")
    print(f"in-process: Django test Client, DEBUG off, {vendor}; time = median of {args.repeat}")
    if vendor != "postgresql":
        print("admin queue at 100,000 applications: PostgreSQL only (set DATABASE_URL)")
    print(f"{'page':56} {'queries':>9} {'ms small':>9} {'ms large':>9} {'ratio':>6}  verdict")
    passed = verdict(pages)
    for name, (small, large) in pages.items():
        ratio = large["ms"] / small["ms"]
        print(
            f"{name:56} {small['queries']:>4} {large['queries']:>4} {small['ms']:9.1f} "
            f"{large['ms']:9.1f} {ratio:6.2f}  {'MET' if passed[name] else 'MISSED'}"
        )
    print(f"targets: query count constant; time ratio large/small <= {MAX_TIME_RATIO}")
    print(summary(pages, passed))
    return {"pages": pages, "passed": passed}


if __name__ == "__main__":
    print("BENCH-RESULT " + json.dumps(main()))
