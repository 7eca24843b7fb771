"""The authentication benchmark's load generator: a separate process, no Django.

Reads a JSON plan on stdin, prints JSON results on stdout. ``concurrency`` threads
send requests back to back; every kind of request runs in the same rounds, one kind
at a time (time, hmac, ed25519, time, hmac, ...), so that drift in the machine's
load hits all of them alike. Every signed request is signed afresh.
"""

import itertools
import json
import sys
import threading
import time
import urllib.parse

from bench.signing import BenchClient, send

PATHS = {"time": "/api/v1/time", "hmac": "/api/v1/key", "ed25519": "/api/v1/key"}


def run(plan: dict) -> dict:
    port = urllib.parse.urlsplit(plan["base_url"]).port
    concurrency = plan["concurrency"]
    clients = {
        kind: [BenchClient(plan["base_url"], key) for key in plan["keys"][kind]]
        for kind in ("hmac", "ed25519")
    }
    results = {kind: {"latencies": [], "seconds": 0.0, "errors": {}} for kind in PATHS}

    def one_phase(kind: str, seconds: float, record: bool) -> None:
        path = PATHS[kind]
        deadline = time.perf_counter() + seconds
        lock = threading.Lock()

        def worker(index: int) -> None:
            # Each thread its own keys, so one key's requests never overlap.
            mine = clients.get(kind, [None])[index::concurrency] or [None]
            latencies, errors = [], {}
            for client in itertools.cycle(mine):
                headers = client.signed_headers("GET", path) if client else {}
                start = time.perf_counter()
                status, code, _ = send(port, "GET", path, headers)
                end = time.perf_counter()
                if end > deadline:
                    break
                if status == 200:
                    latencies.append(end - start)
                else:
                    errors[f"{status} {code}"] = errors.get(f"{status} {code}", 0) + 1
            if record:
                with lock:
                    results[kind]["latencies"].extend(latencies)
                    for name, count in errors.items():
                        results[kind]["errors"][name] = results[kind]["errors"].get(name, 0) + count

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if record:
            results[kind]["seconds"] += time.perf_counter() - started

    for kind in PATHS:
        one_phase(kind, plan["warmup_seconds"], record=False)
    for _round in range(plan["rounds"]):
        for kind in PATHS:
            one_phase(kind, plan["round_seconds"], record=True)
    return results


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
