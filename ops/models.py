"""Operational state shared by every web and worker process (so it lives in the database,
never in one process's memory): worker heartbeats for /healthz, failed login attempts for
the login throttle (ops/throttle.py), and recent attempts per key for every other limit
(ops/ratelimit.py: sign-ups, password reset requests and emails, bookings)."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched by its periodic loop every round."""

    worker_id = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class LoginAttempt(models.Model):
    """A failed login: the (lower-cased) email tried and the client address."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class RateLimitLog(models.Model):
    """One key's recent attempts under one rate limit (ops/ratelimit.py), e.g. one account's
    booking attempts, or the sign-ups from one client address: the instants (ISO 8601, UTC)
    of those still inside the window, oldest first, at most the limit of them. The row is
    what parallel attempts of the key lock."""

    scope = models.CharField(max_length=40)
    # Room for a kind and the longest email: "email:" and 254 characters.
    key = models.CharField(max_length=300)
    attempts = models.JSONField(default=list)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="ratelimit_scope_key"),
        ]
        indexes = [models.Index(fields=["scope", "last_at"], name="ratelimit_scope_last")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {len(self.attempts)} at {self.last_at:%Y-%m-%d %H:%M:%S}"
