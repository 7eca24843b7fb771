"""Authentication cost: signed GET /api/v1/key (HMAC, Ed25519) against public /api/v1/time.

Same gunicorn, same concurrency, interleaved rounds. The per-key rate limit is set
far above what the run can reach, and the requests are spread over many keys (with
a whitelist, like real bots), so that the figures are the cost of authentication,
not of 429s.

    python -m bench.auth [--rounds 4] [--round-seconds 4] [--concurrency 4]
"""

import argparse
import json
import subprocess
import sys

from bench.stack import ROOT, Stack, machine, percentile

KEYS_PER_TYPE = 20
TARGETS = {"hmac": 0.85, "ed25519": 0.75}
P99_SLACK_MS = {"hmac": 1.0}


def seed(keys_per_type: int) -> dict:
    from accounts.models import User
    from apikeys.services import KeyChoice, create_key
    from apikeys.whitelist import IpWhitelist

    whitelist = IpWhitelist.parse("127.0.0.1")
    keys = {"hmac": [], "ed25519": []}
    for kind, choice in (("hmac", KeyChoice.HMAC), ("ed25519", KeyChoice.ED25519)):
        for n in range(keys_per_type):
            if n % 10 == 0:  # ten keys per account at most
                owner = User.objects.create_user(f"bot-{kind}-{n}", f"{kind}{n}@example.com")
            new = create_key(
                owner=owner,
                actor=owner,
                alias=f"{kind}-{n}",
                whitelist=whitelist,
                key_choice=choice,
            )
            field = "secret" if kind == "hmac" else "private_key_pem"
            keys[kind].append({"api_key": new.apikey.api_key, field: new.secret})
    return keys


def summarize(results: dict, concurrency: int) -> dict:
    figures = {}
    for kind, data in results.items():
        latencies = data["latencies"]
        figures[kind] = {
            "requests": len(latencies),
            "rps": len(latencies) / data["seconds"] if data["seconds"] else 0.0,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "errors": data["errors"],
        }
    base = figures["time"]
    for kind in ("hmac", "ed25519"):
        figures[kind]["ratio"] = figures[kind]["rps"] / base["rps"]
        figures[kind]["p99_over_ms"] = figures[kind]["p99_ms"] - base["p99_ms"]
    return figures


def passed(figures: dict) -> dict:
    verdict = {}
    for kind, floor in TARGETS.items():
        ok = figures[kind]["ratio"] >= floor and not figures[kind]["errors"]
        if kind in P99_SLACK_MS:
            ok = ok and figures[kind]["p99_over_ms"] <= P99_SLACK_MS[kind]
        verdict[kind] = ok
    return verdict


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--round-seconds", type=float, default=4.0)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keys", type=int, default=KEYS_PER_TYPE)
    args = parser.parse_args(argv)

    env = {"APIKEY_RATE_LIMIT_PER_MINUTE": "100000000"}
    with Stack("auth", env=env, workers=args.workers) as stack:
        stack.configure_django()
        keys = seed(args.keys)
        stack.start_server()
        plan = {
            "base_url": stack.base_url,
            "keys": keys,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "round_seconds": args.round_seconds,
            "warmup_seconds": args.warmup_seconds,
        }
        load = subprocess.run(
            [sys.executable, "-m", "bench.load"],
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            timeout=60 + 3 * (args.rounds * args.round_seconds + args.warmup_seconds) * 3,
        )
        figures = summarize(json.loads(load.stdout), args.concurrency)
        vendor, cache = stack.vendor, stack.cache

    verdict = passed(figures)
    print("== Authentication cost ==")
    print(f"machine: {machine()}")
    print(
        f"stack: gunicorn {args.workers} sync workers, {vendor}, cache {cache}; load: one "
        f"process, {args.concurrency} threads, {args.rounds} interleaved rounds of "
        f"{args.round_seconds:g} s per kind, {args.keys} keys per type"
    )
    print(f"{'':10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'p99 +ms':>8}  errors")
    for kind, label in (("time", "time"), ("hmac", "HMAC"), ("ed25519", "Ed25519")):
        f = figures[kind]
        ratio = f"{f['ratio']:.2f}" if "ratio" in f else "1.00"
        over = f"{f['p99_over_ms']:+.2f}" if "p99_over_ms" in f else ""
        print(
            f"{label:10} {f['rps']:8.0f} {f['p50_ms']:8.2f} {f['p99_ms']:8.2f} {ratio:>7} "
            f"{over:>8}  {f['errors'] or '-'}"
        )
    for kind in ("hmac", "ed25519"):
        target = f"ratio >= {TARGETS[kind]}"
        if kind in P99_SLACK_MS:
            target += f", p99 <= baseline + {P99_SLACK_MS[kind]:g} ms"
        print(f"target {kind}: {target}: {'met' if verdict[kind] else 'MISSED'}")
    return {"figures": figures, "passed": verdict}


if __name__ == "__main__":
    result = main()
    print("BENCH-RESULT " + json.dumps(result))
