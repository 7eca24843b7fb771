"""The soak, 30 seconds of it, in the suite: bench/soak.py against its own gunicorn.

It builds its own throwaway PostgreSQL database next to the suite's and its own Redis
db, so it needs both; it asserts correctness exactly and never speed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
    reason="the soak needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
)
def test_thirty_seconds_of_mixed_bots_keep_every_promise():
    done = subprocess.run(
        # Modest concurrency: a 2-core CI machine runs this with the whole suite.
        [sys.executable, "-m", "bench.soak", "--seconds", "30", "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("SOAK-RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("SOAK-RESULT "))
    report = done.stdout[-3000:]

    assert result["errors_5xx"] == 0, report
    assert result["unexpected"] == [], report
    assert result["churn_errors"] == [], report
    assert result["balances"]["consistent"], report
    assert result["balances"]["withdrawals_recorded"] == result["balances"]["withdrawals_told"]
    assert result["churn_events"] >= 3, report
    assert result["burst_429s"] > 0, report
    # Worker memory is reported, not asserted: 30 s is mostly warm-up for a worker,
    # and the five-minute run (python -m bench.soak) is where growth means something.
