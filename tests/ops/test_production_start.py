"""Production start-up: what it refuses, what `check --deploy` says."""

import multiprocessing
import runpy

from tests.accounts.test_settings import PRODUCTION, ROOT, manage

WITHOUT_REDIS = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}


def test_production_refuses_to_start_without_a_shared_cache():
    result = manage("check", **WITHOUT_REDIS)
    assert result.returncode != 0
    assert "Set REDIS_URL" in result.stderr
    assert "ALLOW_LOCAL_MEMORY_CACHE=1" in result.stderr


def test_the_named_override_starts_one_process_with_a_local_memory_cache():
    result = manage("check", "--deploy", **WITHOUT_REDIS, ALLOW_LOCAL_MEMORY_CACHE="1")
    assert result.returncode == 0, result.stderr
    assert "accounts.W001" in result.stderr


def test_deploy_check_warns_that_production_email_goes_to_the_console():
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("EMAIL_")}
    result = manage("check", "--deploy", **env)
    assert "ops.W001" in result.stderr
    assert "E-mail goes to the console" in result.stderr


def test_deploy_check_is_quiet_about_email_with_an_smtp_host():
    result = manage("check", "--deploy", **{**PRODUCTION, "EMAIL_HOST": "smtp.example.com"})
    assert "ops.W001" not in result.stderr


def test_an_unknown_log_format_fails_loudly():
    result = manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("REDIS_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_runs_workers_from_the_cpu_count_with_a_shared_cache(monkeypatch):
    conf = gunicorn_settings(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/15")
    assert conf["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert conf["timeout"] == 30 and conf["accesslog"] == "-"
    assert (
        gunicorn_settings(monkeypatch, REDIS_URL="redis://x/1", WEB_CONCURRENCY="3")["workers"] == 3
    )


def test_gunicorn_runs_one_worker_without_a_shared_cache(monkeypatch):
    # ALLOW_LOCAL_MEMORY_CACHE=1 is for one process: the replay guard lives in it.
    assert gunicorn_settings(monkeypatch, WEB_CONCURRENCY="8")["workers"] == 1
