"""Settings for the API Management portal.

One file, driven by the environment. The defaults run on a laptop with nothing set up
(SQLite, local-memory cache, console e-mail); production sets DJANGO_DEBUG=0 and must
then provide its secrets, or the process refuses to start.
"""

import base64
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.logs import PROBE_PATHS, build_logging

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    # An empty variable counts as unset: "SECRET=" is what a failed $(...) leaves behind.
    value = os.environ.get(name) or default
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str(
        "DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production"
    )
else:
    # No default in production: a guessable key would let anyone forge sessions.
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # First: its `migrate` (under a PostgreSQL advisory lock) takes Django's place.
    "config.apps.OpsConfig",
    "config.apps.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "accounts",
    "reviews",
    "apikeys",
    "subaccounts",
    "api",
]

# config.lean.*: the portal's middleware as a subclass that steps aside for the signed
# JSON API (/api/): no sessions, CSRF, user, OTP, messages or per-request CSP there.
MIDDLEWARE = [
    "config.ops.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.lean.CSPMiddleware",
    # Inside the header middlewares, before anything that checks the Host header.
    "config.ops.ProbeMiddleware",
    "config.lean.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.lean.CsrfViewMiddleware",
    "config.lean.AuthenticationMiddleware",
    "config.lean.OTPMiddleware",
    "config.lean.VerifiedSessionMiddleware",
    "config.lean.PrivatePagesMiddleware",
    "config.lean.MessageMiddleware",
    "config.errors.MethodNotAllowedPageMiddleware",
]
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
# security.W003 wants CsrfViewMiddleware by its dotted name; config.checks (ops.W003)
# asks for it as config.lean runs it, a subclass.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.frozen",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections in production: opening one per request cost the signed
        # API a third of its throughput (bench.auth). Health checks drop dead ones.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
# The suite's own database, so that two test runs on one server never meet.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails /readyz and the request within seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, not halfway through it: two
    # parallel key creations then queue up instead of one failing "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "apiportal"),
            # A Redis that hangs must not hang the workers: fail fast, answer 503.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif not DEBUG and not env_bool("ALLOW_LOCAL_MEMORY_CACHE", False):
    # Each worker would keep its own replay guard and rate limits: a captured signed
    # request could run once per worker. One process only may opt out, by name.
    raise ImproperlyConfigured(
        "Set REDIS_URL: in production the replay guard and rate limits need a cache that "
        "every worker shares (ALLOW_LOCAL_MEMORY_CACHE=1 allows a single process only)."
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # The default 300 entries would evict the API's replay guard after a few
            # hundred requests, letting a captured request through again. One process
            # can't add more than ~30,000 entries a minute; the oldest go first.
            "OPTIONS": {"MAX_ENTRIES": 250_000},
        }
    }

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "apikeys:index"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG  # serve from the source folders; no collectstatic on a laptop

# Sessions live in the database so that any worker can serve any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# Security headers. Production (DEBUG off) adds HTTPS-only cookies and HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [f"^{path.removeprefix('/')}$" for path in PROBE_PATHS]
SECURE_HSTS_SECONDS = 0 if DEBUG else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preload only takes effect once the domain is submitted to the browsers' list.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "API Portal <no-reply@localhost>")

# One line per event: time, level, logger, request id; LOG_FORMAT=json for JSON lines.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = build_logging(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# Error tracking, off unless SENTRY_DSN is set; secrets and codes are scrubbed.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))

# --- Client IP -------------------------------------------------------------
# How many reverse proxies of ours stand in front of the app. 0 means the socket
# address is the client: X-Forwarded-For and friends are ignored, so a client
# cannot talk its way past an IP whitelist.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
RATELIMIT_IP_META_KEY = "core.net.client_ip_for_ratelimit"

# --- 2FA (django-otp) ------------------------------------------------------
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "API Portal")
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each failure
OTP_STATIC_THROTTLE_FACTOR = 1
BACKUP_CODE_COUNT = 10
LOGIN_RATE_PER_USERNAME = env_str("LOGIN_RATE_PER_USERNAME", "10/15m")
LOGIN_RATE_PER_IP = env_str("LOGIN_RATE_PER_IP", "30/15m")

# --- API trading review ----------------------------------------------------
REVIEW_FAST_TRACK_THRESHOLD_USDT = Decimal(env_str("REVIEW_FAST_TRACK_THRESHOLD_USDT", "50000"))
REVIEW_FAST_TRACK_BUSINESS_DAYS = env_int("REVIEW_FAST_TRACK_BUSINESS_DAYS", 3)
REVIEW_STANDARD_BUSINESS_DAYS = env_int("REVIEW_STANDARD_BUSINESS_DAYS", 5)
REVIEW_REAPPLY_COOLDOWN_DAYS = env_int("REVIEW_REAPPLY_COOLDOWN_DAYS", 7)
# Public holidays are not business days: a country ("GB") or a financial market ("NYSE"),
# as the holidays package names them.
REVIEW_HOLIDAY_CALENDAR = env_str("REVIEW_HOLIDAY_CALENDAR", "GB")
# Extra ISO dates (YYYY-MM-DD) on which compliance does not work (office closures).
REVIEW_HOLIDAYS = env_list("REVIEW_HOLIDAYS", "")

# --- API keys --------------------------------------------------------------
APIKEY_MAX_PER_ACCOUNT = env_int("APIKEY_MAX_PER_ACCOUNT", 10)
APIKEY_UNRESTRICTED_EXPIRY_DAYS = env_int("APIKEY_UNRESTRICTED_EXPIRY_DAYS", 90)
# A key unused this long is "idle": flagged, listed in the weekly digest, and disabled
# where its account turned that on (manage.py idle_keys).
APIKEY_IDLE_DAYS = env_int("APIKEY_IDLE_DAYS", 90)
# The portal's address as people reach it, for links in e-mails sent by commands.
PORTAL_URL = env_str("PORTAL_URL", "http://localhost:8000")
# Passkeys (django-otp-webauthn), a second factor beside the authenticator app. A passkey
# belongs to one domain (the RP ID) and answers only pages of the listed origins; both
# follow PORTAL_URL unless set. A passkey never signs anyone in without the password.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "") or urlsplit(PORTAL_URL).hostname or "localhost"
OTP_WEBAUTHN_RP_ID = WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "WEBAUTHN_ORIGINS", "{0.scheme}://{0.netloc}".format(urlsplit(PORTAL_URL))
)
# Development only: any port of http://localhost (runserver, the test live server).
WEBAUTHN_ANY_LOCALHOST_PORT = DEBUG
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PortalWebAuthnHelper"
PASSKEY_MAX_PER_ACCOUNT = 10
# Secret-scanning partners (POST /api/v1/leaks): their ECDSA P-256 public keys (PEM) by
# key identifier, as a JSON object {"<identifier>": "<PEM>"}. The portal never fetches
# them itself; empty: every report is refused.
SECRET_SCANNING_PUBLIC_KEYS = json.loads(env_str("SECRET_SCANNING_PUBLIC_KEYS", "{}"))
# The furthest expiry date a user may choose for a key with a whitelist.
APIKEY_MAX_EXPIRY_DAYS = env_int("APIKEY_MAX_EXPIRY_DAYS", 365)
APIKEY_MAX_WHITELIST_ENTRIES = env_int("APIKEY_MAX_WHITELIST_ENTRIES", 30)
# The broadest block one whitelist entry may be: a /16 is a provider's region.
APIKEY_WHITELIST_MIN_PREFIX_V4 = env_int("APIKEY_WHITELIST_MIN_PREFIX_V4", 16)
APIKEY_WHITELIST_MIN_PREFIX_V6 = env_int("APIKEY_WHITELIST_MIN_PREFIX_V6", 32)
APIKEY_RATE_LIMIT_PER_MINUTE = env_int("APIKEY_RATE_LIMIT_PER_MINUTE", 1200)
# Comma-separated Fernet keys, newest first: encrypt with the first, decrypt with any,
# so a key can be rotated without losing existing API secrets.
APIKEY_ENCRYPTION_KEYS = env_list("APIKEY_ENCRYPTION_KEYS")
if not APIKEY_ENCRYPTION_KEYS:
    if not DEBUG:
        # Without them no API secret could be stored or checked: refuse to start.
        raise ImproperlyConfigured("Set APIKEY_ENCRYPTION_KEYS (comma-separated Fernet keys).")
    _derived = hashlib.sha256(b"apikey-encryption:" + SECRET_KEY.encode()).digest()
    APIKEY_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_derived).decode()]

# A value on its way to the one page that shows it (an API secret, backup codes) waits
# in the session encrypted with this (core/showonce.py). It lives minutes, like a
# session signed with the secret key, so it is derived from that key.
SHOW_ONCE_ENCRYPTION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"show-once:" + SECRET_KEY.encode()).digest()
).decode()

# --- Signed REST API -------------------------------------------------------
API_DEFAULT_RECV_WINDOW_MS = 5000
API_MAX_RECV_WINDOW_MS = 60000
API_MAX_CLOCK_AHEAD_MS = 1000
# Unknown keys and bad signatures each cost a lookup: an address (IPv6: a /64) gets this
# many a minute.
API_AUTH_FAILURES_PER_MINUTE_PER_IP = env_int("API_AUTH_FAILURES_PER_MINUTE_PER_IP", 300)
# Unsigned or wrongly signed leak reports (POST /api/v1/leaks) one address may send a
# minute; a scanner signs every report, so a few failures are already suspicious.
LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP = env_int("LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP", 10)

# --- Sub-accounts ----------------------------------------------------------
SUBACCOUNTS_MAX_PER_PARENT = env_int("SUBACCOUNTS_MAX_PER_PARENT", 20)

# --- Throttles on hostile input --------------------------------------------
SIGNUP_RATE_PER_IP = env_str("SIGNUP_RATE_PER_IP", "20/h")
# "Someone tried to sign up with your address" e-mails per address (no mail-bombing).
SIGNUP_ATTEMPT_EMAIL_RATE = env_str("SIGNUP_ATTEMPT_EMAIL_RATE", "3/d")
# A signed-in user typing their password again (turning 2FA off): per user, per IP.
PASSWORD_RECHECK_RATE_PER_USER = env_str("PASSWORD_RECHECK_RATE_PER_USER", "5/15m")
PASSWORD_RECHECK_RATE_PER_IP = env_str("PASSWORD_RECHECK_RATE_PER_IP", "20/15m")
# "Forgot password?": each request may send an e-mail.
PASSWORD_RESET_RATE_PER_EMAIL = env_str("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
PASSWORD_RESET_RATE_PER_IP = env_str("PASSWORD_RESET_RATE_PER_IP", "10/h")
# Days sign-in records are kept (manage.py prune_activity deletes older ones).
SIGNIN_HISTORY_DAYS = env_int("SIGNIN_HISTORY_DAYS", 90)
# Sign-up's e-mail verification: how long the link works, how often it may be resent.
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 60 * 60)
EMAIL_VERIFICATION_RESEND_RATE = env_str("EMAIL_VERIFICATION_RESEND_RATE", "3/h")
# Seconds a reset link works (it also stops working once used or after a sign-in).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)

# --- Paper orders ----------------------------------------------------------
# The value (price × quantity, in USDT) an order may have.
ORDER_MIN_VALUE_USDT = Decimal(env_str("ORDER_MIN_VALUE_USDT", "5"))
ORDER_MAX_VALUE_USDT = Decimal(env_str("ORDER_MAX_VALUE_USDT", "10000000"))
