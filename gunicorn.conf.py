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
    # 0 is gunicorn's "no timeout".
    timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=0, maximum=MAX_TIMEOUT)
except ImproperlyConfigured as error:
    raise SystemExit(f"gunicorn.conf.py: {error}") from None

graceful_timeout = 20
keepalive = 5
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
