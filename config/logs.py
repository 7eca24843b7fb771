"""Logging for Django and gunicorn alike: one line per event with time, level, logger
and request id; JSON lines when LOG_FORMAT=json (python-json-logger).

gunicorn.conf.py builds its logging from the same function, so its access log comes
out in the same format as the application's lines.
"""

import logging
import re

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"

# Probes: a load balancer asks every few seconds, a 503 there is its answer, not ours.
PROBE_PATHS = ("/healthz", "/readyz")


class RequestIdFilter(logging.Filter):
    """Put the request id on every record: the one being served, or for gunicorn's
    access lines the X-Request-ID the response carried."""

    def filter(self, record):
        from config.ops import request_id_var

        request_id = request_id_var.get()
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            request_id = record.args.get("{x-request-id}o") or request_id
        record.request_id = request_id
        return True


class OneTimeLinksFilter(logging.Filter):
    """Mask the token of a password-reset or e-mail verification link wherever a line
    names one (gunicorn's access lines, runserver's, Django's 4xx warnings): read from
    a log, an unused link must not work."""

    LINKS = re.compile(r"(/accounts/(?:password/reset/[^/\s]+|verify-email)/)[^/\s?\"]+")

    def filter(self, record):
        message = record.getMessage()
        masked = self.LINKS.sub(r"\1…", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class QuietRequestsFilter(logging.Filter):
    """django.request writes a warning for every 4xx and an error for every 5xx.

    A refused signed request (bad signature, wrong key, over the rate limit) is the API
    doing its job, answered in JSON and kept in the key's audit trail: a line each would
    let any client fill the log. The probes' 503 is their answer, not an error of ours.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        path = getattr(request, "path", "")
        if path in PROBE_PATHS:
            return False
        return not (status is not None and status < 500 and path.startswith("/api/"))


class OneLineFilter(logging.Filter):
    """An unknown Host header (a scanner, a balancer probing by IP) is a warning of one
    line, not an error with a traceback."""

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def json_formatter():
    """One JSON object a line: time, level, logger, request_id, message (and extras)."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
    )


def build_logging(*, log_format: str, level: str) -> dict:
    if log_format == "json":
        formatter = {"()": "config.logs.json_formatter"}
    elif log_format == "text":
        formatter = {"format": TEXT_FORMAT}
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {log_format!r}.")
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "config.logs.RequestIdFilter"},
            "quiet_requests": {"()": "config.logs.QuietRequestsFilter"},
            "one_line": {"()": "config.logs.OneLineFilter"},
            "one_time_links": {"()": "config.logs.OneTimeLinksFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                # request_id first: it reads gunicorn's access atoms before they are
                # folded into the masked message.
                "filters": ["request_id", "one_time_links"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (console in DEBUG, mail_admins) go: the root's only.
            "django": {"handlers": [], "level": "INFO"},
            "django.request": {"filters": ["quiet_requests"]},
            "django.security.DisallowedHost": {"filters": ["one_line"]},
        },
    }
    # gunicorn's own lines (start-up, worker timeouts, the access log) through the same
    # handler; unused under runserver.
    for name in ("gunicorn.error", "gunicorn.access"):
        config["loggers"][name] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return config
