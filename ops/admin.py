from django.contrib import admin

from ops.models import LoginAttempt, RateLimitLog, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "last_seen"]
    ordering = ["-last_seen"]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Failed logins; deleting an account's rows lifts its lockouts early (a completed
    password reset does the same)."""

    list_display = ["email", "ip", "created_at"]
    search_fields = ["email", "ip"]
    ordering = ["-created_at"]


@admin.register(RateLimitLog)
class RateLimitLogAdmin(admin.ModelAdmin):
    """Recent attempts per key (an account's bookings; the sign-ups and password reset
    requests of an email or a client address); deleting a row lifts its limit."""

    list_display = ["scope", "key", "last_at"]
    list_filter = ["scope"]
    search_fields = ["key"]
    ordering = ["-last_at"]
