"""Authentication cost: our signed GET /api/v1/key against the peers a Django team would pick.

Per stack (SQLite + local memory; PostgreSQL + Redis when DATABASE_URL and REDIS_URL
are set), side by side in the same run:

- ours: signed ``GET /api/v1/key``, HMAC and Ed25519 (20 keys each, a whitelist,
  the rate limit raised out of reach), and the public ``GET /api/v1/time``;
- the peers (bench/peers/): Django REST Framework's ``TokenAuthentication`` and
  djangorestframework-api-key's ``HasAPIKey``, 20 credentials each, on a database of
  the same kind, served by the same gunicorn settings.

Load: ``wrk`` replays a file of requests built just before each repetition (signed
with unique timestamps, so the client pays nothing for signing during the run), each
request once, every response checked to be 200. Server CPU per request: utime + stime
of the gunicorn workers (/proc/<pid>/stat) over exactly N requests, divided by N;
the median of 3 repetitions, the five kinds rotating within each. Latency p50/p99 is
wrk's. SQL queries and Redis round trips per request are counted in-process on a
warm key (Django's CaptureQueriesContext; every redis-py send_packed_command is one
round trip); on the Redis stack the bench's own redis-server also gives the commands
per request the whole run made (commands inside a Lua script count there too).

    python -m bench.auth [--quick] [--stack sqlite|postgres] [--requests 2000] [--reps 3]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from bench.stack import ROOT, Stack, machine

KINDS = ("hmac", "ed25519", "token", "apikey", "time")
SIGNED = ("hmac", "ed25519")
PEERS = ("token", "apikey")
LABELS = {
    "hmac": "ours HMAC",
    "ed25519": "ours Ed25519",
    "token": "DRF TokenAuthentication",
    "apikey": "HasAPIKey",
    "time": "public /api/v1/time",
}
PATHS = {
    "hmac": "/api/v1/key",
    "ed25519": "/api/v1/key",
    "token": "/token/key",
    "apikey": "/apikey/key",
    "time": "/api/v1/time",
}
KEYS_PER_TYPE = 20
MAX_PEER_RATIO = 0.6  # signed CPU per request, at most this share of each peer's
MAX_ROUND_TRIPS = 2
MAX_WARM_QUERIES = 0
# The largest window the API accepts: a repetition's requests are signed just before
# it and must all arrive inside it.
RECV_WINDOW_MS = 60_000
SETTLE_SECONDS = 0.5
REPLAY_LUA = Path(__file__).with_name("replay.lua")
STACKS = {"sqlite": "SQLite + local memory", "postgres": "PostgreSQL + Redis"}


# -- ours: seed, sign, count in-process ------------------------------------------------


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


class Signer:
    """Signed headers with timestamps that never repeat (one millisecond apart,
    counting back from now, across every key and kind), never ahead of the clock."""

    def __init__(self, keys: dict):
        from bench.signing import BenchClient

        self.clients = {
            kind: [BenchClient("http://127.0.0.1", key) for key in keys[kind]] for kind in SIGNED
        }
        self.last_ms = 0

    def headers(self, kind: str, count: int, *, only: int | None = None) -> list[dict]:
        """``count`` signed GET /api/v1/key, round robin over the keys (or key ``only``)."""
        from api.client import payload

        # Counting back from now, never into the last batch's range: wait if need be
        # (at most ``count`` ms; timestamps ahead of the server's clock are refused).
        wait_ms = self.last_ms + count - time.time_ns() // 1_000_000
        if wait_ms > 0:
            time.sleep(wait_ms / 1000)
        start = self.last_ms = time.time_ns() // 1_000_000
        clients = self.clients[kind]
        out = []
        for i in range(count):
            client = clients[i % len(clients) if only is None else only]
            timestamp = str(start - i)
            window = str(RECV_WINDOW_MS)
            message = payload(timestamp, client.api_key, window, "GET", "/api/v1/key")
            out.append(
                {
                    "X-API-KEY": client.api_key,
                    "X-API-TIMESTAMP": timestamp,
                    "X-API-RECV-WINDOW": window,
                    "X-API-SIGNATURE": client.sign(message),
                }
            )
        return out


def in_process_counts(signer: Signer, redis: bool, samples: int = 5) -> dict:
    """SQL queries and Redis round trips of a signed request on a warm key: the median
    of ``samples`` requests after two (a once-a-minute usage write may fall on one)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from redis.connection import AbstractConnection

    client = Client()
    counts = {}
    original = AbstractConnection.send_packed_command
    for kind in SIGNED:
        signed = signer.headers(kind, 2 + samples, only=0)[::-1]  # oldest first
        for headers in signed[:2]:
            response = client.get("/api/v1/key", headers=headers)
            assert response.status_code == 200, (kind, response.status_code, response.content)
        measured = []
        for headers in signed[2:]:
            round_trips = []

            def counting(self, *args, _trips=round_trips, **kwargs):
                _trips.append(1)
                return original(self, *args, **kwargs)

            AbstractConnection.send_packed_command = counting
            try:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get("/api/v1/key", headers=headers)
            finally:
                AbstractConnection.send_packed_command = original
            assert response.status_code == 200, (kind, response.status_code, response.content)
            measured.append((len(queries), len(round_trips), queries.captured_queries))
        measured.sort(key=lambda m: (m[0], m[1]))
        sql, trips, captured = measured[len(measured) // 2]
        counts[kind] = {
            "sql": sql,
            "sql_all": [m[0] for m in measured],
            "sql_text": [q["sql"][:120] for q in captured],
            "redis_round_trips": trips if redis else None,
        }
    return counts


# -- load: wrk replaying a file ----------------------------------------------------------


def request_lines(kind: str, count: int, signer: Signer, peers: dict) -> list[str]:
    path = PATHS[kind]
    if kind in SIGNED:
        return [
            "\t".join([path, *(f"{name}: {value}" for name, value in headers.items())])
            for headers in signer.headers(kind, count)
        ]
    if kind in PEERS:
        scheme = "Token" if kind == "token" else "Api-Key"
        credentials = peers[kind]
        return [
            f"{path}\tAuthorization: {scheme} {credentials[i % len(credentials)]}"
            for i in range(count)
        ]
    return [path] * count


def replay(server, lines: list[str], connections: int, workdir: Path) -> dict:
    """Send every line once with wrk, ``connections`` at a time: wrk's figures, and the
    statuses the server's access log shows for exactly these requests."""
    requests_file = workdir / "requests.txt"
    requests_file.write_text("\n".join(lines) + "\n")
    marker = workdir / "done"
    marker.unlink(missing_ok=True)
    (workdir / "done.sent").unlink(missing_ok=True)
    deadline = max(60, len(lines) // 20)
    offset, _ = server.answered()
    statuses: dict[str, int] = {}
    wrk = subprocess.Popen(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{deadline}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(REPLAY_LUA),
            server.base_url + "/",
            "--",
            str(requests_file),
            str(marker),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wrk sleeps for the whole -d: interrupt it once the server has answered every line
    # wrk sent (all of them, or no new answer for SETTLE_SECONDS after the last went out).
    sent_marker = workdir / "done.sent"
    give_up = time.monotonic() + deadline
    last_change = time.monotonic()
    while time.monotonic() < give_up and wrk.poll() is None:
        offset, more = server.answered(offset)
        if more:
            last_change = time.monotonic()
        for status, count in more.items():
            statuses[status] = statuses.get(status, 0) + count
        if marker.exists() or sum(statuses.values()) >= len(lines):
            break
        if sent_marker.exists() and time.monotonic() - last_change > SETTLE_SECONDS:
            break
        time.sleep(0.02)
    if wrk.poll() is None:
        wrk.send_signal(signal.SIGINT)
    stdout, stderr = wrk.communicate(timeout=60)
    time.sleep(0.1)
    offset, more = server.answered(offset)
    for status, count in more.items():
        statuses[status] = statuses.get(status, 0) + count
    for line in stdout.splitlines():
        if line.startswith("REPLAY-RESULT "):
            result = json.loads(line.removeprefix("REPLAY-RESULT "))
            result["server_statuses"] = statuses
            result["answered"] = sum(statuses.values())
            return result
    raise RuntimeError(f"wrk gave no result (exit {wrk.returncode}):\n{stdout}{stderr}")


def one_repetition(server, lines: list[str], connections: int, workdir: Path, stack) -> dict:
    redis_before = stack.redis_info() if stack.redis_process else None
    before = server.worker_cpu_seconds()
    result = replay(server, lines, connections, workdir)
    time.sleep(0.1)  # the last responses' close
    after = server.worker_cpu_seconds()
    if sorted(before) != sorted(after):
        raise RuntimeError(f"{server.name}: a worker was replaced during a repetition")
    n = result["answered"]
    result["cpu_ms"] = sum(after[pid] - before[pid] for pid in before) / n * 1000
    if redis_before is not None:
        redis_after = stack.redis_info()
        commands = (
            redis_after["total_commands_processed"] - redis_before["total_commands_processed"] - 1
        )  # the first INFO
        result["redis_commands"] = commands / n
    return result


def run_stack(name: str, args) -> dict:
    local = name == "sqlite"
    env = {"APIKEY_RATE_LIMIT_PER_MINUTE": "100000000"}
    with Stack("auth", env=env, workers=args.workers, local=local, own_redis=True) as stack:
        workdir = stack.tmp / "wrk"  # removed with the stack, whatever happens
        workdir.mkdir()
        if not local and not (stack.pg_db and stack.redis_url):
            raise SystemExit("bench.auth: the postgres stack needs DATABASE_URL and REDIS_URL")
        stack.configure_django()
        keys = seed(args.keys)
        signer = Signer(keys)
        counts = in_process_counts(signer, redis=bool(stack.redis_url))

        peer_env = {
            "DJANGO_SETTINGS_MODULE": "bench.peers.settings",
            "DATABASE_URL": stack.database_url("peers"),
        }
        seeded = subprocess.run(
            [sys.executable, "-m", "bench.peers.seed", str(args.keys)],
            cwd=ROOT,
            env={**stack.env, **peer_env},
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        peers = json.loads(seeded.stdout)
        peer_server = stack.add_server("peers", "bench.peers.wsgi", env=peer_env)
        stack.start_server(max_requests=0)
        peer_server.start(probe="/time", max_requests=0)
        servers = {kind: peer_server if kind in PEERS else stack.main for kind in KINDS}

        for kind in KINDS:  # every worker imports, connects and caches before timing
            lines = request_lines(kind, args.warmup, signer, peers)
            replay(servers[kind], lines, args.concurrency, workdir)
        reps = {kind: [] for kind in KINDS}
        started = time.monotonic()
        for rep in range(args.reps):
            # Rotate the order, so that no kind always runs first or last.
            order = KINDS[rep % len(KINDS) :] + KINDS[: rep % len(KINDS)]
            for kind in order:
                lines = request_lines(kind, args.requests, signer, peers)
                reps[kind].append(
                    one_repetition(servers[kind], lines, args.concurrency, workdir, stack)
                )
        seconds = time.monotonic() - started
        vendor, cache = stack.vendor, stack.cache

    figures = {}
    for kind in KINDS:
        runs = reps[kind]
        statuses = {}
        for run in runs:
            for status, count in run["server_statuses"].items():
                if status != "200":
                    statuses[status] = statuses.get(status, 0) + count
        skipped = sum(args.requests - run["answered"] for run in runs)
        figures[kind] = {
            "cpu_ms": median(run["cpu_ms"] for run in runs),
            "cpu_ms_reps": [round(run["cpu_ms"], 3) for run in runs],
            "p50_ms": median(run["p50_us"] for run in runs) / 1000,
            "p99_ms": median(run["p99_us"] for run in runs) / 1000,
            "rps": median(run["responses"] / run["duration_us"] * 1e6 for run in runs),
            "non_200": statuses,
            "skipped_by_wrk": skipped,
            "wrk_socket_errors": sum(run["socket_errors"] for run in runs),
            "redis_commands": (
                median(run["redis_commands"] for run in runs)
                if "redis_commands" in runs[0]
                else None
            ),
        }
        if kind in SIGNED:
            figures[kind]["sql"] = counts[kind]["sql"]
            figures[kind]["sql_text"] = counts[kind]["sql_text"]
            figures[kind]["redis_round_trips"] = counts[kind]["redis_round_trips"]
        elif kind in PEERS:
            figures[kind]["sql"] = peers["queries"][kind]
    return {
        "stack": name,
        "vendor": vendor,
        "cache": cache,
        "seconds": seconds,
        "figures": figures,
        "passed": verdict(name, figures, redis=not local),
    }


def verdict(name: str, figures: dict, redis: bool) -> dict:
    passed = {}
    for kind in SIGNED:
        for peer in PEERS:
            ratio = figures[kind]["cpu_ms"] / figures[peer]["cpu_ms"]
            passed[f"{name} {kind} <= {MAX_PEER_RATIO}x {peer}"] = ratio <= MAX_PEER_RATIO
    passed[f"{name} SQL queries on a warm key <= {MAX_WARM_QUERIES}"] = all(
        figures[kind]["sql"] <= MAX_WARM_QUERIES for kind in SIGNED
    )
    if redis:
        passed[f"{name} Redis round trips <= {MAX_ROUND_TRIPS}"] = all(
            figures[kind]["redis_round_trips"] <= MAX_ROUND_TRIPS for kind in SIGNED
        )
    passed[f"{name} every response 200"] = all(not f["non_200"] for f in figures.values())
    return passed


def report(result: dict, args) -> None:
    figures = result["figures"]
    print(f"== Authentication cost: {STACKS[result['stack']]} ==")
    print(
        f"stack: gunicorn {args.workers} sync workers each (ours, peers), {result['vendor']}, "
        f"cache {result['cache']}; load: wrk, {args.concurrency} connections, pre-signed "
        f"requests each sent once; {args.reps} interleaved repetitions of {args.requests} "
        f"requests per kind ({result['seconds']:.0f} s); {args.keys} keys per kind"
    )
    print(
        f"{'':24} {'CPU ms/req':>10} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>6} {'SQL':>4} "
        f"{'Redis RT':>8} {'Redis cmd':>9}  non-200"
    )
    for kind in KINDS:
        f = figures[kind]
        sql = f.get("sql")
        trips = f.get("redis_round_trips")
        cmds = f.get("redis_commands")
        bad = dict(f["non_200"])
        print(
            f"{LABELS[kind]:24} {f['cpu_ms']:10.3f} {f['p50_ms']:7.2f} {f['p99_ms']:7.2f} "
            f"{f['rps']:6.0f} {'-' if sql is None else sql:>4} "
            f"{'-' if trips is None else trips:>8} {'-' if cmds is None else f'{cmds:.2f}':>9}  "
            f"{bad or '-'}"
        )
    skipped = {kind: figures[kind]["skipped_by_wrk"] for kind in KINDS}
    print(
        f"lines wrk never sent, of {args.reps} x {args.requests} per kind: {skipped} "
        "(CPU is per request the server answered, from its access log)"
    )
    print(
        "CPU ms/req per repetition: "
        + "; ".join(f"{kind} {figures[kind]['cpu_ms_reps']}" for kind in KINDS)
    )
    print("ratios of CPU per request (row / column):")
    print(f"{'':24} {'/ DRF token':>12} {'/ HasAPIKey':>12} {'/ /time':>8}")
    for kind in (*SIGNED, *PEERS):
        cpu = figures[kind]["cpu_ms"]
        cells = [f"{cpu / figures[peer]['cpu_ms']:12.2f}" for peer in PEERS]
        print(f"{LABELS[kind]:24} {' '.join(cells)} {cpu / figures['time']['cpu_ms']:8.2f}")
    for kind in SIGNED:
        if figures[kind]["sql"]:
            print(f"{LABELS[kind]} warm-key SQL: {figures[kind]['sql_text']}")
    for target, ok in result["passed"].items():
        print(f"target {target}: {'MET' if ok else 'MISSED'}")


# -- command line ------------------------------------------------------------------------


def available_stacks() -> tuple[list[str], str]:
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")) and os.environ.get("REDIS_URL"):
        return ["sqlite", "postgres"], ""
    return ["sqlite"], "PostgreSQL + Redis stack skipped: set DATABASE_URL and REDIS_URL"


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=sorted(STACKS), help="one stack (default: each set up)")
    parser.add_argument("--quick", action="store_true", help="300 requests per repetition")
    parser.add_argument("--requests", type=int, default=None, help="per kind and repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=None, help="requests per kind, untimed")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keys", type=int, default=KEYS_PER_TYPE)
    args = parser.parse_args(argv)
    if args.concurrency > args.workers:
        # After its last request a connection that reopens idles until wrk exits, and a
        # sync worker that took it waits: more connections than workers could stall.
        parser.error("--concurrency must not exceed --workers")
    args.requests = args.requests or (300 if args.quick else 1000)
    args.warmup = args.warmup or (100 if args.quick else 200)
    return args


def summary(results: list[dict]) -> str:
    parts = []
    for result in results:
        f = result["figures"]
        cells = ", ".join(
            f"{kind} {f[kind]['cpu_ms']:.2f} ms = {f[kind]['cpu_ms'] / f['token']['cpu_ms']:.2f}x "
            f"token/{f[kind]['cpu_ms'] / f['apikey']['cpu_ms']:.2f}x HasAPIKey"
            for kind in SIGNED
        )
        parts.append(f"{result['stack']}: {cells}")
    missed = [t for r in results for t, ok in r["passed"].items() if not ok]
    verdict_text = (
        "all targets MET" if not missed else f"MISSED {len(missed)}: " + "; ".join(missed)
    )
    return f"SUMMARY: auth {' | '.join(parts)}; {verdict_text}"


def main(argv=None) -> dict:
    args = parse(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("bench.auth needs wrk: apt-get install -y wrk (make bench does)")
    if args.stack:
        result = run_stack(args.stack, args)
        report(result, args)
        return result
    stacks, note = available_stacks()
    print(f"machine: {machine()}; load before: {os.getloadavg()[0]:.2f}")
    if note:
        print(note)
    passthrough = [a for a in (argv if argv is not None else sys.argv[1:])]
    results = []
    for name in stacks:
        done = subprocess.run(
            [sys.executable, "-m", "bench.auth", "--stack", name, *passthrough],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        result = None
        for line in done.stdout.splitlines():
            if line.startswith("BENCH-RESULT "):
                result = json.loads(line.removeprefix("BENCH-RESULT "))
            else:
                print(line)
        if done.returncode or result is None:
            raise SystemExit(f"bench.auth --stack {name} failed:\n{done.stderr[-3000:]}")
        results.append(result)
        print()
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(summary(results))
    return {
        "stacks": {r["stack"]: r for r in results},
        "passed": {t: ok for r in results for t, ok in r["passed"].items()},
    }


if __name__ == "__main__":
    print("BENCH-RESULT " + json.dumps(main()))
