"""The benchmarks' own pieces, without timing anything (`make bench` does the timing)."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.ops.test_lock_files import PYPROJECT, names, pins

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["bench.auth", "bench.pages", "bench.login", "bench.__main__"])
def test_every_benchmark_module_imports(module):
    assert importlib.import_module(module).main


def test_the_peers_settings_load_and_name_drf_and_the_api_key_package():
    code = (
        "import json, bench.peers.settings as s;"
        "print(json.dumps({'apps': s.INSTALLED_APPS, 'urls': s.ROOT_URLCONF, 'debug': s.DEBUG}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert {"rest_framework.authtoken", "rest_framework_api_key"} <= set(loaded["apps"])
    assert loaded["urls"] == "bench.peers.urls"
    assert loaded["debug"] is False


def test_the_peers_project_starts_when_the_bench_extra_is_installed(tmp_path):
    pytest.importorskip("rest_framework_api_key", reason="make bench installs the bench extra")
    code = (
        "import django; django.setup();"
        "from django.urls import resolve; import bench.peers.urls;"
        "print(resolve('/token/key').func.cls.authentication_classes[0].__name__)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "bench.peers.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'peers.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "TokenAuthentication"


def test_the_peers_are_bench_only_never_in_the_product_or_its_production_lock():
    bench_only = names(PYPROJECT["project"]["optional-dependencies"]["bench"])
    assert bench_only == {"djangorestframework", "djangorestframework-api-key"}
    assert not bench_only & pins("requirements.txt").keys()
    assert not bench_only & pins("requirements-dev.txt").keys()
    assert not any(app.startswith("rest_framework") for app in settings.INSTALLED_APPS)


def test_the_bench_lock_pins_the_peers_at_the_production_versions():
    production, bench = pins("requirements.txt"), pins("requirements-bench.txt")
    assert names(PYPROJECT["project"]["optional-dependencies"]["bench"]) <= bench.keys()
    assert {name: bench.get(name) for name in production} == production


def test_the_access_log_count_reads_each_status_once_and_waits_for_whole_lines(tmp_path):
    from bench.stack import Server

    class FakeStack:
        tmp = tmp_path

    server = Server(FakeStack(), "gunicorn", "config.wsgi", workers=1)
    log = tmp_path / "gunicorn.log"
    line = '2026 INFO gunicorn.access [id] 127.0.0.1 "GET /api/v1/key HTTP/1.1" {} 30 4ms xff="-"\n'
    log.write_text(line.format(200) + line.format(401) + line.format(200)[:40])
    offset, statuses = server.answered()
    assert statuses == {"200": 1, "401": 1}
    with log.open("a") as more:
        more.write(line.format(200)[40:] + "2026 WARNING gunicorn.error something\n")
    offset, statuses = server.answered(offset)
    assert statuses == {"200": 1}
    assert offset == log.stat().st_size


def test_pre_signed_requests_never_repeat_a_timestamp_and_fit_the_window():
    import time

    from bench.auth import RECV_WINDOW_MS, Signer

    keys = {
        "hmac": [{"api_key": f"apk_{n}", "secret": "s"} for n in range(3)],
        "ed25519": [],
    }
    signer = Signer(keys)
    now = time.time_ns() // 1_000_000
    batches = [signer.headers("hmac", 500), signer.headers("hmac", 500)]
    stamps = [int(h["X-API-TIMESTAMP"]) for batch in batches for h in batch]
    assert len(set(stamps)) == len(stamps)
    assert all(h["X-API-RECV-WINDOW"] == str(RECV_WINDOW_MS) for h in batches[0])
    # Never ahead of the clock (the API allows 1 s), never near the window's end.
    assert max(stamps) <= time.time_ns() // 1_000_000
    assert now - min(stamps) < RECV_WINDOW_MS / 10
