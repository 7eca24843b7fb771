"""Run every benchmark, each in its own process and on its own throwaway stack.

    python -m bench            (make bench)
    python -m bench auth login (a selection)

Ends with one summary line.
"""

import json
import subprocess
import sys
import time

from bench.stack import ROOT, machine

BENCHMARKS = ["auth", "pages", "login"]
TIMEOUT_SECONDS = 180  # each; the whole run stays well under 10 minutes


def run_one(name: str) -> dict | None:
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        print(f"bench.{name}: timed out after {TIMEOUT_SECONDS} s")
        return None
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line.removeprefix("BENCH-RESULT "))
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
        f = auth["figures"]
        parts.append(
            f"auth HMAC {f['hmac']['ratio']:.2f}x (p99 {f['hmac']['p99_over_ms']:+.1f} ms) "
            f"Ed25519 {f['ed25519']['ratio']:.2f}x of {f['time']['rps']:.0f} req/s"
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
    verdict = "all targets met" if not missed and not failed else "MISSED " + ", ".join(missed)
    if failed:
        verdict += f"; FAILED {', '.join(failed)}"
    return f"SUMMARY: {'; '.join(parts)}; {verdict}; {seconds:.0f} s on {machine()}"


def main(argv: list[str]) -> int:
    started = time.monotonic()
    chosen = argv or BENCHMARKS
    results = {name: run_one(name) for name in chosen}
    print(summary(results, time.monotonic() - started))
    return 1 if any(result is None for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
