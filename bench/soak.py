"""Soak: mixed bot traffic against gunicorn on PostgreSQL and Redis, with keys changing.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../6 python -m bench.soak --seconds 300

Bots (bench/soak_load.py, another process): valid reads, orders, withdrawals, bad
signatures, replays, wrong and spoofed IPs (gunicorn trusts one proxy; the load
generator is that proxy and sets X-Forwarded-For), rate-limited bursts. Meanwhile this
process modifies, re-fences and deletes keys through the portal's services.

Checks: no 5xx; every response has the expected status and code (for a changing key:
the status before the change until it starts, after it once it has committed, either
in between); balances equal the initial balance less the recorded withdrawals, and
the withdrawals recorded are the ones the bots were told about; gunicorn workers' RSS
grows by less than 10% from the warmed-up start to the end. Exit status 0 when all
hold. The last line is ``SOAK-RESULT {json}``.
"""

import argparse
import json
import subprocess
import sys
import threading
import time
from decimal import Decimal

from bench.stack import ROOT, Stack, machine

RATE_LIMIT = 300
INITIAL_USDT = Decimal("1000000")
MAX_RSS_GROWTH = 0.10


def seed(churn_keys: int) -> dict:
    from accounts.models import Asset, Balance, User
    from apikeys.services import create_key
    from apikeys.whitelist import IpWhitelist

    fence = IpWhitelist.parse("10.1.0.0/24")
    usdt = Asset.objects.get(symbol="USDT")

    def key(owner, alias, **perms):
        new = create_key(owner=owner, actor=owner, alias=alias, whitelist=fence, **perms)
        return {"api_key": new.apikey.api_key, "secret": new.secret}

    bots = User.objects.create_user("soakbots", "soakbots@example.com")
    Balance.objects.create(user=bots, asset=usdt, amount=INITIAL_USDT)
    keys = {
        "reader": [key(bots, f"reader{n}") for n in range(3)],
        "trader": [key(bots, f"trader{n}", can_trade=True) for n in range(2)],
        "withdrawer": [key(bots, f"withdraw{n}", can_withdraw=True) for n in range(2)],
        "burst": [key(bots, "burst")],
        "churn": [],
    }
    for n in range(churn_keys):
        if n % 10 == 0:
            owner = User.objects.create_user(f"churn{n}", f"churn{n}@example.com")
        keys["churn"].append(key(owner, f"churn{n}"))
    return {"keys": keys, "bots": bots.pk}


def churn(keys: list[dict], deadline: float, step: float, events: list, errors: list) -> None:
    """Each key in turn: renamed (still 200), re-fenced (then 403), deleted (then 401)."""
    from django.db import close_old_connections

    from apikeys.models import ApiKey
    from apikeys.services import delete_key, modify_key
    from apikeys.whitelist import IpWhitelist

    elsewhere = IpWhitelist.parse("192.0.2.0/24")
    try:
        for entry in keys:
            apikey = ApiKey.objects.select_related("user").get(api_key=entry["api_key"])
            owner = apikey.user
            for action in ("rename", "refence", "delete"):
                if time.monotonic() + step > deadline:
                    return
                time.sleep(step)
                begin = time.time()
                if action == "delete":
                    delete_key(owner=owner, actor=owner, apikey=apikey, ip="10.1.0.5")
                    after = [401, "invalid_api_key"]
                else:
                    modify_key(
                        owner=owner,
                        actor=owner,
                        apikey=apikey,
                        alias=apikey.alias + "-x",
                        can_trade=False,
                        can_withdraw=False,
                        whitelist=elsewhere
                        if action == "refence"
                        else IpWhitelist.parse("10.1.0.0/24"),
                        ip="10.1.0.5",
                    )
                    apikey.refresh_from_db()
                    after = [403, "ip_not_allowed"] if action == "refence" else [200, ""]
                events.append([entry["api_key"], action, begin, time.time(), *after])
    except Exception as failure:  # reported, and fails the soak
        errors.append(repr(failure))
    finally:
        close_old_connections()


def check_churn(log: list, events: list) -> list:
    by_key = {}
    for api_key, action, begin, end, status, code in events:
        by_key.setdefault(api_key, []).append((begin, end, (status, code), action))
    wrong = []
    for api_key, sent, received, status, code in log:
        state, allowed = (200, ""), set()
        for begin, end, after, _action in by_key.get(api_key, []):
            if sent > end:
                state = after
            elif received > begin:
                allowed.add(after)
        allowed.add(state)
        if (status, code) not in allowed:
            wrong.append([api_key[:12], round(sent, 3), status, code, sorted(allowed)])
    return wrong


def check_balances(bots_pk: int, told: int, amount: str) -> dict:
    from django.db.models import Count, Sum

    from accounts.models import Balance
    from api.models import Withdrawal

    recorded = Withdrawal.objects.filter(user_id=bots_pk).aggregate(n=Count("id"), s=Sum("amount"))
    balance = Balance.objects.get(user_id=bots_pk, asset__symbol="USDT").amount
    total = recorded["s"] or Decimal(0)
    return {
        "withdrawals_recorded": recorded["n"],
        "withdrawals_told": told,
        "withdrawn": str(total),
        "balance": str(balance),
        "consistent": balance == INITIAL_USDT - total
        and recorded["n"] == told
        and total == Decimal(amount) * told,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--mixed-threads", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.005, help="between a bot's requests")
    args = parser.parse_args(argv)

    env = {
        "TRUSTED_PROXY_COUNT": "1",
        "APIKEY_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        # Every bot here shares one client address, and the bad-signature bot fails on
        # purpose: the per-address failure budget would turn its 401s into 429s.
        "API_AUTH_FAILURES_PER_MINUTE_PER_IP": "1000000",
    }
    with Stack("soak", env=env, workers=args.workers) as stack:
        if stack.vendor != "postgresql" or not stack.redis_url:
            raise SystemExit("bench.soak needs DATABASE_URL (PostgreSQL) and REDIS_URL")
        stack.configure_django()
        step = 1.0
        seeded = seed(churn_keys=max(3, min(100, int(args.seconds / (3 * step)) + 1)))
        stack.start_server()
        plan = {
            "base_url": stack.base_url,
            "keys": seeded["keys"],
            "seconds": args.seconds,
            "rate_limit": RATE_LIMIT,
            "mixed_threads": args.mixed_threads,
            "pause": args.pause,
        }
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.soak_load"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        load.stdin.write(json.dumps(plan))
        load.stdin.close()
        load.stdin = None  # written and closed: communicate() must not flush it again
        started = time.monotonic()
        deadline = started + args.seconds
        events, churn_errors = [], []
        churner = threading.Thread(
            target=churn, args=(seeded["keys"]["churn"], deadline, step, events, churn_errors)
        )
        churner.start()
        # The workers' memory once warmed up (a tenth of the run, at least 5 s in).
        time.sleep(min(max(5, args.seconds / 10), args.seconds / 2))
        rss_start = stack.worker_rss_kib()
        out, err = load.communicate(timeout=args.seconds + 120)
        churner.join()
        rss_end = stack.worker_rss_kib()
        if load.returncode:
            raise SystemExit(f"load generator failed:\n{err[-3000:]}")
        bots = json.loads(out)
        balances = check_balances(
            seeded["bots"], bots["withdrawals_201"], bots["withdrawal_amount"]
        )
        elapsed = time.monotonic() - started
        server_log = stack.server_log()
        vendor, cache = stack.vendor, stack.cache

    tally = bots["tally"]
    total = sum(tally.values()) + len(bots["churn_log"])
    churn_statuses = {}
    for _key, _sent, _received, status, code in bots["churn_log"]:
        name = f"churn {status} {code}".strip()
        churn_statuses[name] = churn_statuses.get(name, 0) + 1
    statuses = {**tally, **churn_statuses}
    errors_5xx = sum(n for name, n in statuses.items() if name.split()[1].startswith("5"))
    churn_wrong = check_churn(bots["churn_log"], events)
    bursts_limited = tally.get("burst 429 rate_limited", 0)
    same_workers = set(rss_start) == set(rss_end)
    growth = sum(rss_end.values()) / sum(rss_start.values()) - 1 if rss_start else float("nan")
    result = {
        "seconds": round(elapsed, 1),
        "requests": total,
        "statuses": statuses,
        "errors_5xx": errors_5xx,
        "unexpected": bots["unexpected"] + churn_wrong[:20],
        "unexpected_count": len(bots["unexpected"]) + len(churn_wrong),
        "churn_events": len(events),
        "churn_errors": churn_errors,
        "burst_429s": bursts_limited,
        "balances": balances,
        "rss_kib_start": sum(rss_start.values()),
        "rss_kib_end": sum(rss_end.values()),
        "rss_growth": growth,
        "same_workers": same_workers,
        "worker_errors_in_log": server_log.count("Traceback"),
    }
    result["passed"] = {
        "no_5xx": errors_5xx == 0,
        "every_status_expected": result["unexpected_count"] == 0 and not churn_errors,
        "rate_limit_hit": bursts_limited > 0,
        "keys_changed": len(events) >= 3,
        "balances_consistent": balances["consistent"],
        "rss_growth_under_10pct": same_workers and growth < MAX_RSS_GROWTH,
    }

    print("== Soak ==")
    print(f"machine: {machine()}")
    print(
        f"gunicorn {args.workers} workers, {vendor}, cache {cache}, TRUSTED_PROXY_COUNT=1, "
        f"rate limit {RATE_LIMIT}/min; {args.mixed_threads} mixed bots + burst + churn bot"
    )
    print(
        f"{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s); {len(events)} key changes"
    )
    for name in sorted(statuses):
        print(f"  {name:45} {statuses[name]:>7}")
    print(
        f"withdrawals: {balances['withdrawals_recorded']} recorded, {balances['withdrawals_told']} "
        f"answered 201; balance {balances['balance']} = {INITIAL_USDT} - {balances['withdrawn']}: "
        f"{'yes' if balances['consistent'] else 'NO'}"
    )
    print(
        f"worker RSS: {result['rss_kib_start']} KiB -> {result['rss_kib_end']} KiB "
        f"({growth:+.1%}), same workers: {same_workers}"
    )
    for item in result["unexpected"][:20]:
        print(f"  UNEXPECTED {item}")
    print(f"checks: {result['passed']}")
    return result


if __name__ == "__main__":
    result = main()
    print("SOAK-RESULT " + json.dumps(result))
    sys.exit(0 if all(result["passed"].values()) else 1)
