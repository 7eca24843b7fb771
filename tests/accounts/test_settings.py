import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-1234567890",
    "ALLOWED_HOSTS": "portal.example.com",
    "APIKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "EMAIL_HOST": "smtp.example.com",
}


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_refuses_an_empty_secret_key_as_if_it_were_missing():
    # "DJANGO_SECRET_KEY=" is what a heredoc leaves when its $(...) printed nothing.
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    env = {k: v for k, v in PRODUCTION.items() if k != "APIKEY_ENCRYPTION_KEYS"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "APIKEY_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_boolean_fails_loudly():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_deploy_check_is_clean_with_the_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_that_a_local_memory_cache_is_per_process():
    env = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = manage("check", "--deploy", **env, ALLOW_LOCAL_MEMORY_CACHE="1")
    assert "accounts.W001" in result.stderr


@pytest.mark.django_db
def test_pages_carry_csp_and_frame_headers(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_an_empty_encryption_key_list():
    result = manage("check", **{**PRODUCTION, "APIKEY_ENCRYPTION_KEYS": " , "})
    assert result.returncode != 0
    assert "APIKEY_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_encryption_key_is_a_system_check_error():
    result = manage("check", **{**PRODUCTION, "APIKEY_ENCRYPTION_KEYS": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "apikeys.E001" in result.stderr
