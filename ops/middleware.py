"""One log line per request: method, path, status, duration in ms, user id.

The path is logged without its query string, with a password-reset token masked and any
control character escaped (a "%0A" in a URL must not start a forged log line).
"""

import logging
import re
import time

logger = logging.getLogger("codementorhub.requests")

_RESET_TOKEN = re.compile(r"^(/accounts/reset/[^/]+/)[^/]+/")


def loggable_path(path: str) -> str:
    path = _RESET_TOKEN.sub(r"\1***/", path)
    path = "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)
    return path if len(path) <= 500 else path[:500] + "…"


def _user_id(request) -> int | None:
    # Logging must never turn a response into an error: looking the user up may need the
    # database, which may be the very thing that is down (/healthz).
    try:
        user = getattr(request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:
        return None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        status = 500  # what the client gets when a view raises through every handler
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = (time.monotonic() - started) * 1000
            user_id = _user_id(request)
            path = loggable_path(request.path)
            method = "".join(c for c in request.method if c.isprintable())[:20]
            logger.info(
                "%s %s %s %.1fms user=%s",
                method,
                path,
                status,
                duration_ms,
                user_id if user_id is not None else "-",
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(duration_ms, 1),
                    "user_id": user_id,
                },
            )
