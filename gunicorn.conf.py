"""gunicorn settings for production; values can be overridden with GUNICORN_* variables
(the number of workers also with WEB_CONCURRENCY)."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_networks

# Generous upper bounds, so a typo (3000 workers) stops start-up instead of the machine.
MAX_WORKERS, MAX_THREADS, MAX_TIMEOUT = 256, 256, 3600


def _workers() -> int:
    # GUNICORN_WORKERS wins when both are set: someone set it for this server on purpose,
    # whereas a hosting platform may set WEB_CONCURRENCY itself (Heroku's Python buildpack
    # picks one from the dyno's memory). Otherwise WEB_CONCURRENCY, then 3.
    chosen = os.environ.get("GUNICORN_WORKERS", "").strip()
    name = "GUNICORN_WORKERS" if chosen else "WEB_CONCURRENCY"
    return env_int(name, 3, minimum=1, maximum=MAX_WORKERS)


try:  # the settings' own strict parsing; its message, without a traceback, stops start-up
    workers = _workers()
    threads = env_int("GUNICORN_THREADS", 2, minimum=1, maximum=MAX_THREADS)
    # With threads (gunicorn's gthread worker) this is the worker's heartbeat, not a limit
    # on a request: a worker whose main loop is silent this long is killed and replaced.
    # 30 s is long enough for a busy machine, short enough for a load balancer to see the
    # gap. 0 is gunicorn's "no timeout". Slow requests are bounded by the proxy in front
    # (docs/DEPLOYMENT.md): a thread reading a client's headers waits for as long as the
    # client takes, so gunicorn must never face the internet on its own.
    timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0, maximum=MAX_TIMEOUT)
except ImproperlyConfigured as error:
    raise SystemExit(f"gunicorn.conf.py: {error}") from None

graceful_timeout = 20
# How long an idle kept-alive connection, or a new one that has not sent a byte, is held
# (in the worker's poller, not a thread). Short: the proxy opens a new connection for each
# request at no cost on one machine, and anything idle is closed within seconds.
keepalive = 5
# The longest request line (method, address, version) gunicorn reads; its maximum. The
# longest address the product makes is a login link carrying `next`, up to 2,000
# characters of path (accounts.views.MAX_NEXT_LENGTH) and more once percent-encoded. Equal
# to nginx's header buffer (large_client_header_buffers 8k), so both refuse at one size.
limit_request_line = 8190
# Headers in one request. A browser sends about 15, the proxy adds 4 (Host,
# X-Forwarded-For and -Proto, Connection); 50 leaves room and refuses a flood (gunicorn: 100).
limit_request_fields = 50
# The longest single header. The largest is Cookie: the session, the CSRF token and
# Django's messages (at most 2 KB); 8190 is what nginx's 8k buffer lets through.
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"

try:  # the proxies gunicorn takes X-Forwarded-Proto from: those the throttles trust too
    if os.environ.get("FORWARDED_ALLOW_IPS", "").strip():
        raise ImproperlyConfigured(
            "FORWARDED_ALLOW_IPS is not read: set TRUSTED_PROXIES instead, which the login "
            "throttle and gunicorn both read."
        )
    forwarded_allow_ips = ",".join(env_networks("TRUSTED_PROXIES"))
except ImproperlyConfigured as error:
    raise SystemExit(f"gunicorn.conf.py: {error}") from None
