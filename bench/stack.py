"""The real stack on 127.0.0.1, built and torn down by each benchmark.

A ``Stack`` makes a throwaway database (a fresh SQLite file in a temp dir, or a fresh
PostgreSQL database next to the one DATABASE_URL names), a private cache (a distinct
Redis db number with its own key prefix when REDIS_URL is set, flushed before and
after; the local-memory cache otherwise), production-like settings (DJANGO_DEBUG=0,
generated secrets), and can start gunicorn on a free port. The process that owns it
configures Django on the throwaway database to migrate and seed through the project's
own services; the load always comes from another process.
"""

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Redis dbs 0-5 belong to people and CI; the bench flushes only this one.
DEFAULT_BENCH_REDIS_DB = 7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, name: str, *, env: dict | None = None, workers: int = 4, redis_db=None):
        self.name = name
        self.workers = workers
        self.extra_env = dict(env or {})
        self.redis_db = redis_db
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None
        self.pg_admin_url = None
        self.pg_db = None
        self.redis_url = None
        self.env = self._environment()

    # -- setup --------------------------------------------------------------------

    def _environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
        fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            APIKEY_ENCRYPTION_KEYS=fernet,
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            SECURE_SSL_REDIRECT="0",
            LOG_LEVEL="WARNING",
            # Persistent connections, as production runs: a new connection per request
            # cost the signed API a third of its throughput (311 -> 459 req/s).
            DATABASE_CONN_MAX_AGE=os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
            PYTHONPATH=str(ROOT),
        )
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgres://", "postgresql://")):
            parts = urllib.parse.urlsplit(database_url)
            self.pg_db = f"bench_{self.name}_{os.getpid()}_{secrets.token_hex(3)}"
            # CREATE/DROP DATABASE from the maintenance db: the named one may not exist.
            self.pg_admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
            env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + self.pg_db))
        elif database_url:
            raise SystemExit(f"bench: DATABASE_URL must be PostgreSQL or unset, not {database_url}")
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.tmp / 'db.sqlite3'}"
        redis_url = os.environ.get("REDIS_URL", "")
        if redis_url:
            parts = urllib.parse.urlsplit(redis_url)
            own_db = int(parts.path.strip("/") or 0)
            db = self.redis_db
            if db is None:
                db = int(os.environ.get("BENCH_REDIS_DB", DEFAULT_BENCH_REDIS_DB))
            if db == own_db and self.redis_db is None:
                raise SystemExit(f"bench: BENCH_REDIS_DB={db} is REDIS_URL's own db; pick another")
            self.redis_url = urllib.parse.urlunsplit(parts._replace(path=f"/{db}"))
            env["REDIS_URL"] = self.redis_url
            env["CACHE_KEY_PREFIX"] = f"bench-{self.name}-{secrets.token_hex(3)}"
        else:
            env.pop("REDIS_URL", None)
        env.update(self.extra_env)
        return env

    @property
    def vendor(self) -> str:
        return "postgresql" if self.pg_db else "sqlite"

    @property
    def cache(self) -> str:
        return f"redis db {self.redis_url.rsplit('/', 1)[1]}" if self.redis_url else "local memory"

    def __enter__(self):
        if self.pg_db:
            self._pg(f'CREATE DATABASE "{self.pg_db}"')
        self._flush_redis()
        return self

    def __exit__(self, *exc):
        self.stop_server()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been configured
            pass
        if self.pg_db:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')
        self._flush_redis()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _pg(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def _flush_redis(self) -> None:
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def configure_django(self) -> None:
        """Point this process's Django at the throwaway database, and migrate it."""
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django
        from django.conf import settings
        from django.core.management import call_command

        django.setup()
        # Notices would print to the console; nobody reads a bench's mail.
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        call_command("migrate", verbosity=0, interactive=False)

    # -- gunicorn -----------------------------------------------------------------

    def start_server(self, timeout: float = 60) -> None:
        log = open(self.tmp / "gunicorn.log", "wb")  # noqa: SIM115 - lives with the server
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(self.base_url + "/api/v1/time", timeout=2) as r:  # noqa: S310
                    if r.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.server_log()}")

    def server_log(self) -> str:
        path = self.tmp / "gunicorn.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def worker_pids(self) -> list[int]:
        if self.server is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may hold spaces and parentheses: the ppid follows the last ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.server.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def worker_rss_kib(self) -> dict[int, int]:
        rss = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss[pid] = int(line.split()[1])
            except OSError:
                continue
        return rss

    def stop_server(self) -> None:
        if self.server is None or self.server.poll() is not None:
            return
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {model}"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]
