"""Login throttling, shared by every web process through the database.

After LOGIN_MAX_FAILURES_PER_EMAIL failed logins for one email (case-insensitive) or
LOGIN_MAX_FAILURES_PER_IP from one address within LOGIN_THROTTLE_MINUTES, every attempt
for that email / from that address is refused — the correct password too — for
LOGIN_THROTTLE_MINUTES from the failure that reached the limit. Refused attempts are not
recorded (they were never checked), so the lockout does not extend itself; once it is
over, the count starts afresh. A successful login clears the email's failures.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ops.models import LoginAttempt

LOCKOUT_MESSAGE = "Too many failed login attempts. Please wait 15 minutes or reset your password."


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and trusting it would let anyone pick a fresh address per attempt.
    if request is None:
        return ""
    return (request.META.get("REMOTE_ADDR") or "")[:45]


def _window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)


def _locked(attempts, limit: int) -> bool:
    """The latest failure is within the window and reached the limit: it was the limit-th
    failure within a window of its own (nothing is recorded while locked)."""
    window = timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
    latest = attempts.order_by("-created_at").values_list("created_at", flat=True).first()
    if latest is None or latest <= timezone.now() - window:
        return False
    return attempts.filter(created_at__gt=latest - window, created_at__lte=latest).count() >= limit


def is_locked_out(email: str, ip: str) -> bool:
    email = email.strip().lower()
    if email and _locked(
        LoginAttempt.objects.filter(email=email), settings.LOGIN_MAX_FAILURES_PER_EMAIL
    ):
        return True
    return bool(ip) and _locked(
        LoginAttempt.objects.filter(ip=ip), settings.LOGIN_MAX_FAILURES_PER_IP
    )


def record_failure(email: str, ip: str) -> None:
    LoginAttempt.objects.create(email=email.strip().lower()[:254], ip=ip, created_at=timezone.now())
    # Old rows are of no use; drop them now and then so the table stays small.
    LoginAttempt.objects.filter(created_at__lt=_window_start() - timedelta(days=1)).delete()


def clear_failures(email: str) -> None:
    LoginAttempt.objects.filter(email=email.strip().lower()).delete()
