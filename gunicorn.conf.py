"""gunicorn settings for production; values can be overridden with GUNICORN_* variables
(the number of workers also with WEB_CONCURRENCY)."""

import os


def _whole_number(name: str, default: int, minimum: int) -> int:
    """The variable as an int; a bad value stops start-up, naming the variable, rather than
    quietly running with a number nobody chose."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value: int | None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise SystemExit(
            f"gunicorn.conf.py: {name} must be a whole number of at least {minimum}; got {raw!r}."
        )
    return value


def _workers() -> int:
    # GUNICORN_WORKERS wins when both are set: someone set it for this server on purpose,
    # whereas a hosting platform may set WEB_CONCURRENCY itself (Heroku's Python buildpack
    # picks one from the dyno's memory). Otherwise WEB_CONCURRENCY, then 3.
    if "GUNICORN_WORKERS" in os.environ:
        return _whole_number("GUNICORN_WORKERS", 3, minimum=1)
    return _whole_number("WEB_CONCURRENCY", 3, minimum=1)


workers = _workers()
threads = _whole_number("GUNICORN_THREADS", 2, minimum=1)
# 0 is gunicorn's "no timeout".
timeout = _whole_number("GUNICORN_TIMEOUT", 30, minimum=0)
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
