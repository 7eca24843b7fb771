"""gunicorn's settings for `make serve` and deploy/portal.service.

The address comes from the command line (--bind); everything else is here.
"""

import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from config.logs import build_logging  # noqa: E402

wsgi_app = "config.wsgi:application"

# Sync workers: gunicorn's rule of thumb, two per core plus one. Without a shared cache
# (ALLOW_LOCAL_MEMORY_CACHE=1) the replay guard holds per process: one worker only.
if os.environ.get("REDIS_URL"):
    workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
else:
    workers = 1

# A request that takes longer than this is stuck: the worker is replaced. nginx waits
# a little longer (proxy_read_timeout 35s) so that it reports gunicorn's answer.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, a jitter apart, so that no slow leak grows for weeks.
max_requests = 5000
max_requests_jitter = 500

# No control socket: nothing here uses `gunicornc`, and the unit's home may be read-only.
control_socket_disable = True

# The access log, in the application's format (JSON lines with LOG_FORMAT=json), with
# the request id the application sent back.
accesslog = "-"
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms xff="%({x-forwarded-for}i)s" id=%({x-request-id}o)s'
)
logconfig_dict = build_logging(
    log_format=os.environ.get("LOG_FORMAT", "text"), level=os.environ.get("LOG_LEVEL", "INFO")
)
