"""Run every benchmark, each in its own process and on its own throwaway stack.

    python -m bench            (make bench)
    python -m bench auth login (a selection)
    python -m bench --quick    (auth with 300 requests per repetition)

Each benchmark prints its own table and "SUMMARY:" line (shown here as "<name>
summary:"); the run ends with one SUMMARY: line over all of them.
"""

import json
import os
import subprocess
import sys
import time

from bench.stack import ROOT, machine

BENCHMARKS = ["auth", "pages", "login"]
# Each; about 10 minutes in all on 2 cores (auth: two stacks, ~4 minutes each at most).
TIMEOUT_SECONDS = {"auth": 720, "pages": 480, "login": 120}


def run_one(name: str, extra: list[str]) -> dict | None:
    timeout = TIMEOUT_SECONDS.get(name, 300)
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        print(f"bench.{name}: timed out after {timeout} s")
        return None
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line.removeprefix("BENCH-RESULT "))
        elif line.startswith("SUMMARY: "):
            print(f"{name} summary: " + line.removeprefix("SUMMARY: "))
        else:
            print(line)
    if done.returncode or result is None:
        print(f"bench.{name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    print()
    return result


def summary(results: dict, seconds: float) -> str:
    parts = []
    auth = results.get("auth")
    if auth:
        for stack, result in auth["stacks"].items():
            f = result["figures"]
            parts.append(
                f"auth {stack} CPU/req HMAC {f['hmac']['cpu_ms']:.2f} ms, Ed25519 "
                f"{f['ed25519']['cpu_ms']:.2f} ms vs DRF token {f['token']['cpu_ms']:.2f}, "
                f"HasAPIKey {f['apikey']['cpu_ms']:.2f}"
            )
    pages = results.get("pages")
    if pages:
        ratios = [large["ms"] / small["ms"] for small, large in pages["pages"].values()]
        grew = sum(large["queries"] > small["queries"] for small, large in pages["pages"].values())
        parts.append(f"pages worst time ratio {max(ratios):.2f}, query growth on {grew} page(s)")
    login = results.get("login")
    if login:
        p = login["params"]
        parts.append(
            f"login {login['ms']:.0f} ms (t={p['time_cost']} m={p['memory_cost']} "
            f"p={p['parallelism']})"
        )
    missed = [
        f"{name}:{target}"
        for name, result in results.items()
        for target, ok in ((result or {}).get("passed") or {}).items()
        if not ok
    ]
    failed = [name for name, result in results.items() if result is None]
    verdict = "all targets MET" if not missed and not failed else "MISSED " + ", ".join(missed)
    if failed:
        verdict += f"; FAILED {', '.join(failed)}"
    return f"SUMMARY: {'; '.join(parts)}; {verdict}; {seconds:.0f} s on {machine()}"


def main(argv: list[str]) -> int:
    started = time.monotonic()
    quick = "--quick" in argv
    chosen = [a for a in argv if not a.startswith("-")] or BENCHMARKS
    load_before = os.getloadavg()[0]
    results = {
        name: run_one(name, ["--quick"] if quick and name == "auth" else []) for name in chosen
    }
    load = os.getloadavg()
    print(
        f"load average: {load_before:.2f} at the start, "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end"
    )
    print(summary(results, time.monotonic() - started))
    return 1 if any(result is None for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
