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
import re
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
    """A free port on 127.0.0.1: the first free one of BENCH_PORT_RANGE ("8200-8249")
    when that is set (people sharing a machine split ports by range), any otherwise."""
    span = os.environ.get("BENCH_PORT_RANGE", "")
    candidates = [0]
    if span:
        low, high = (int(p) for p in span.split("-"))
        candidates = [p for p in range(low, high + 1) if p not in _TAKEN] or [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = sock.getsockname()[1]
            _TAKEN.add(port)
            return port
    raise RuntimeError(f"bench: no free port in BENCH_PORT_RANGE={span}")


_TAKEN: set[int] = set()
# A request line in gunicorn's access log (gunicorn.conf.py's format): its status.
ACCESS_STATUS = re.compile(rb'"[A-Z]+ \S+ HTTP/[0-9.]+" (\d{3}) ')


class Stack:
    def __init__(
        self,
        name: str,
        *,
        env: dict | None = None,
        workers: int = 4,
        redis_db=None,
        local: bool = False,
        own_redis: bool = False,
    ):
        """``local``: SQLite and the local-memory cache whatever the environment says.
        ``own_redis``: with REDIS_URL set, a private redis-server on a free port (when
        the binary is there) instead of a db of the shared one, so that its counters
        are this benchmark's alone."""
        self.name = name
        self.workers = workers
        self.extra_env = dict(env or {})
        self.redis_db = redis_db
        self.local = local
        self.own_redis = own_redis and bool(shutil.which("redis-server"))
        self.redis_process: subprocess.Popen | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.main = Server(self, "gunicorn", "config.wsgi", workers=workers)
        self.servers = [self.main]
        self.pg_admin_url = None
        self.pg_db = None
        self.extra_pg_dbs: list[str] = []
        self.redis_url = None
        self.env = self._environment()

    @property
    def port(self) -> int:
        return self.main.port

    @property
    def base_url(self) -> str:
        return self.main.base_url

    @property
    def server(self):
        return self.main.process

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
        database_url = "" if self.local else os.environ.get("DATABASE_URL", "")
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
        redis_url = "" if self.local else os.environ.get("REDIS_URL", "")
        if redis_url and self.own_redis:
            self.redis_port = free_port()
            self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
            env["REDIS_URL"] = self.redis_url
            env["CACHE_KEY_PREFIX"] = f"bench-{self.name}"
        elif redis_url:
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
            # Production refuses the local-memory cache (each worker would keep its own
            # replay guard); a benchmark's requests are all unique, and it says so.
            env["ALLOW_LOCAL_MEMORY_CACHE"] = "1"
        env.update(self.extra_env)
        return env

    @property
    def vendor(self) -> str:
        return "postgresql" if self.pg_db else "sqlite"

    @property
    def cache(self) -> str:
        if self.redis_process:
            return f"redis (its own redis-server on port {self.redis_port})"
        return f"redis db {self.redis_url.rsplit('/', 1)[1]}" if self.redis_url else "local memory"

    def database_url(self, suffix: str) -> str:
        """Another throwaway database of the same kind (a peer project's), dropped at exit."""
        if not self.pg_db:
            return f"sqlite:///{self.tmp / (suffix + '.sqlite3')}"
        name = f"{self.pg_db}_{suffix}"
        self._pg(f'CREATE DATABASE "{name}"')
        self.extra_pg_dbs.append(name)
        parts = urllib.parse.urlsplit(self.env["DATABASE_URL"])
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))

    def add_server(self, name: str, wsgi: str, *, env: dict, workers: int | None = None):
        server = Server(self, name, wsgi, workers=workers or self.workers, env=env)
        self.servers.append(server)
        return server

    def redis_info(self, section: str = "stats") -> dict:
        import redis

        return redis.Redis.from_url(self.redis_url).info(section)

    def __enter__(self):
        if self.pg_db:
            self._pg(f'CREATE DATABASE "{self.pg_db}"')
        if self.own_redis and self.redis_url:
            self._start_redis()
        self._flush_redis()
        return self

    def _start_redis(self) -> None:
        self.redis_process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.redis_info()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        raise RuntimeError("bench: redis-server did not start")

    def __exit__(self, *exc):
        for server in self.servers:
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been configured
            pass
        for name in [self.pg_db, *self.extra_pg_dbs] if self.pg_db else []:
            self._pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.redis_process:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=10)
        else:
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

    # -- gunicorn (the product's; add_server starts others) -------------------------

    def start_server(self, timeout: float = 60, **options) -> None:
        self.main.start(timeout, **options)

    def server_log(self) -> str:
        return self.main.log()

    def worker_pids(self) -> list[int]:
        return self.main.worker_pids()

    def worker_rss_kib(self) -> dict[int, int]:
        return self.main.worker_rss_kib()

    def stop_server(self) -> None:
        self.main.stop()


class Server:
    """One gunicorn (sync workers, the repository's gunicorn.conf.py) on a free port."""

    def __init__(self, stack: Stack, name: str, wsgi: str, *, workers: int, env=None):
        self.stack, self.name, self.wsgi, self.workers = stack, name, wsgi, workers
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.probe = "/api/v1/time"

    def start(self, timeout: float = 60, *, probe: str | None = None, max_requests=None):
        """``max_requests``: 0 keeps every worker for the whole run (a benchmark that
        reads their CPU time from /proc must not see one replaced halfway)."""
        self.probe = probe or self.probe
        log = open(self.stack.tmp / f"{self.name}.log", "wb")  # noqa: SIM115 - lives with the server
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            self.wsgi,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        if max_requests is not None:
            command += ["--max-requests", str(max_requests)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            # Unbuffered: the access log shows each answer as it goes (bench.auth counts them).
            env={**self.stack.env, "PYTHONUNBUFFERED": "1", **self.extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base_url + self.probe, timeout=2) as r:  # noqa: S310
                    if r.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.log()}")

    def answered(self, offset: int = 0) -> tuple[int, dict[str, int]]:
        """The access log (gunicorn.conf.py's) from byte ``offset`` on: the new offset
        and how many requests got each status, as the workers saw them."""
        path = self.stack.tmp / f"{self.name}.log"
        with open(path, "rb") as log:
            log.seek(offset)
            data = log.read()
        end = data.rfind(b"\n") + 1  # a line being written counts next time
        statuses: dict[str, int] = {}
        for match in ACCESS_STATUS.finditer(data[:end]):
            status = match.group(1).decode()
            statuses[status] = statuses.get(status, 0) + 1
        return offset + end, statuses

    def log(self) -> str:
        path = self.stack.tmp / f"{self.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def worker_pids(self) -> list[int]:
        if self.process is None:
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
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def worker_cpu_seconds(self) -> dict[int, float]:
        """utime + stime of each worker so far, from /proc/<pid>/stat."""
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = {}
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # After the command: state is field 3, utime field 14 and stime 15 (man 5 proc).
            cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return cpu

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

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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
