"""Debian's nginx in front of gunicorn, both run from the files under deploy/.

gunicorn starts from the systemd unit's ExecStartPre/ExecStart lines and nginx from
the site file, each filled in as the README says, on free loopback ports, with
TRUSTED_PROXY_COUNT=1 and BEHIND_TLS_PROXY=1. Requests go through nginx only. The
database is a SQLite file of this module's own (the proxy's rules don't depend on
the database); the cache is the suite's Redis when REDIS_URL is set.
"""

import datetime
import ipaddress
import json
import os
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from string import Template

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api import client as reference

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX) and not os.environ.get("REQUIRE_NGINX"),
    reason="needs Debian's nginx (apt-get install nginx); REQUIRE_NGINX=1 makes this a failure",
)

# Made in the test database by SETUP below; printed as JSON.
SETUP = """
import json
from tests.factories import ApiKeyFactory, ApplicationFactory, UserFactory
from tests.helpers import with_2fa
user = with_2fa(UserFactory(username="proxytrader"))
ApplicationFactory.approved(user=user)
here = ApiKeyFactory(user=user, ip_whitelist=["127.0.0.1"])
elsewhere = ApiKeyFactory(user=user, ip_whitelist=["203.0.113.10"])
print(json.dumps({
    "here": [here.api_key, here.plain_secret],
    "elsewhere": [elsewhere.api_key, elsewhere.plain_secret],
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def unit_commands(unit: str) -> tuple[list[list[str]], list[str]]:
    """The ExecStartPre commands and the ExecStart command of a systemd unit."""
    pre, start = [], None
    for line in unit.splitlines():
        if line.startswith("ExecStartPre="):
            pre.append(shlex.split(line.split("=", 1)[1]))
        elif line.startswith("ExecStart="):
            start = shlex.split(line.split("=", 1)[1])
    return pre, start


def wait_for(url: str, context=None, seconds: float = 30) -> None:
    """Until ``url`` answers 200 (nginx answers 502 until gunicorn is up)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2, context=context)  # noqa: S310
            return
        except OSError:  # refused, or an HTTPError such as 502
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """gunicorn (from deploy/portal.service) behind nginx (from deploy/nginx-portal.conf)."""
    tmp = tmp_path_factory.mktemp("stack")
    cert, cert_key = self_signed_certificate(tmp)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    keep.pop("REDIS_URL", None)
    app_env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "proxy-test-" + Fernet.generate_key().decode(),
        "APIKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp / "static"),
        "TRUSTED_PROXY_COUNT": "1",
        "BEHIND_TLS_PROXY": "1",
        "LOG_FORMAT": "json",
        "EMAIL_HOST": "smtp.invalid",
        "WEB_CONCURRENCY": "2",
    }
    if os.environ.get("REDIS_URL"):
        app_env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        app_env["ALLOW_LOCAL_MEMORY_CACHE"] = "1"
    env = {**keep, **app_env}

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "--no-input", "--verbosity", "0")
    keys = json.loads(manage("shell", "-c", SETUP).strip().splitlines()[-1])

    # The systemd unit, filled in as the README says; run as it would run it.
    unit = Template((ROOT / "deploy/portal.service").read_text()).safe_substitute(
        PORTAL_DIR=str(ROOT),
        PORTAL_VENV=str(Path(sys.executable).parent.parent),
        PORTAL_USER="portal",
        PORTAL_BIND=f"127.0.0.1:{app_port}",
        PORTAL_ENV_FILE=str(tmp / "env"),
    )
    pre, start = unit_commands(unit)
    for command in pre:
        assert subprocess.run(command, cwd=ROOT, env=env, timeout=180).returncode == 0
    app_log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115
    app = subprocess.Popen(start, cwd=ROOT, env=env, stdout=app_log, stderr=subprocess.STDOUT)

    site = Template((ROOT / "deploy/nginx-portal.conf").read_text()).safe_substitute(
        PORTAL_SERVER_NAME="127.0.0.1 localhost",
        PORTAL_HTTP_LISTEN=f"127.0.0.1:{http_port}",
        PORTAL_HTTPS_LISTEN=f"127.0.0.1:{https_port}",
        PORTAL_UPSTREAM=f"127.0.0.1:{app_port}",
        PORTAL_TLS_CERT=str(cert),
        PORTAL_TLS_KEY=str(cert_key),
        PORTAL_PROXY_SNIPPET=str(ROOT / "deploy/nginx-proxy.conf"),
        PORTAL_ACCESS_LOG=str(tmp / "portal-access.log"),
    )
    (tmp / "portal.conf").write_text(site)
    # Debian's /etc/nginx/nginx.conf, reduced to what a test needs, every path in tmp.
    # As root, the workers would switch to "nobody" and not read this folder.
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/portal.conf;
}}
"""
    )
    proxy = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(tmp / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its errors go to nginx-error.log
    )
    tls = ssl.create_default_context(cafile=str(cert))
    try:
        wait_for(f"http://127.0.0.1:{http_port}/healthz")
        wait_for(f"https://127.0.0.1:{https_port}/healthz", context=tls)
        yield {
            "http": f"http://127.0.0.1:{http_port}",
            "https": f"https://127.0.0.1:{https_port}",
            "tls": tls,
            "cert": cert,
            "keys": keys,
            "app_log": tmp / "gunicorn.log",
            "proxy_log": tmp / "portal-access.log",
        }
    finally:
        proxy.terminate()
        app.terminate()
        proxy.wait(timeout=20)
        app.wait(timeout=40)
        app_log.close()


def fetch(url, *, context=None, headers=None):
    opener = urllib.request.build_opener(NoRedirect(), urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read()


def test_a_whitelisted_key_works_through_the_proxy(stack, monkeypatch):
    # The reference client, as a bot would use it; it trusts our test certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(stack["cert"]))
    api_key, secret = stack["keys"]["here"]
    client = reference.Client(stack["https"], api_key=api_key, secret=secret)
    account = client.get("/api/v1/account")
    assert "balances" in account
    assert client.last_headers["X-Request-ID"]


def test_a_client_set_x_forwarded_for_does_not_get_past_the_whitelist(stack):
    api_key, secret = stack["keys"]["elsewhere"]
    client = reference.Client(stack["https"], api_key=api_key, secret=secret)
    headers = client.signed_headers("GET", "/api/v1/account")
    # The key's whitelist holds 203.0.113.10; the client is 127.0.0.1 and says otherwise.
    headers["X-Forwarded-For"] = "203.0.113.10"
    status, _headers, body = fetch(
        stack["https"] + "/api/v1/account", context=stack["tls"], headers=headers
    )
    assert status == 403
    assert json.loads(body)["error"]["code"] == "ip_not_allowed"


def test_plain_http_is_redirected_to_https_and_https_sends_hsts(stack):
    status, headers, _body = fetch(stack["http"] + "/accounts/login/?next=/assets/")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/accounts/login/?next=/assets/"
    assert "Strict-Transport-Security" not in headers  # only ever over HTTPS

    status, headers, body = fetch(stack["https"] + "/accounts/login/", context=stack["tls"])
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Secure" in headers["Set-Cookie"]
    assert b"<form" in body


def test_the_portal_and_its_static_files_are_served_through_the_proxy(stack):
    status, _headers, body = fetch(stack["https"] + "/accounts/login/", context=stack["tls"])
    assert status == 200
    css = body.decode().split('rel="stylesheet" href="')[1].split('"')[0]
    status, headers, _body = fetch(stack["https"] + css, context=stack["tls"])
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")


def test_probes_answer_over_plain_http_for_the_load_balancer(stack):
    for path in ["/healthz", "/readyz"]:
        status, _headers, body = fetch(stack["http"] + path)
        assert status == 200, body
        assert json.loads(body)["status"] == "ok"


def test_the_access_log_is_json_with_the_proxys_request_id(stack):
    status, headers, _body = fetch(stack["https"] + "/api/v1/time", context=stack["tls"])
    assert status == 200
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32  # nginx's $request_id, kept by the app
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in stack["app_log"].read_text().splitlines()]
        access = [line for line in lines if line.get("request_id") == request_id]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    (line,) = access
    assert line["logger"] == "gunicorn.access"
    assert line["level"] == "INFO"
    assert '"GET /api/v1/time HTTP/1.1" 200' in line["message"]
    assert {"time", "level", "logger", "request_id", "message"} <= line.keys()


def test_the_proxys_access_log_carries_the_same_request_id_as_the_app(stack):
    status, headers, _body = fetch(stack["https"] + "/api/v1/time", context=stack["tls"])
    assert status == 200
    request_id = headers["X-Request-ID"]
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in stack["proxy_log"].read_text().splitlines()]
        mine = [line for line in lines if line["request_id"] == request_id]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    (line,) = mine
    assert line["status"] == 200
    assert line["request"] == "GET /api/v1/time HTTP/1.1"
