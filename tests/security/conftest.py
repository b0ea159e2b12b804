"""Shared fixtures for the security tests: one small world with every object a URL of the
project can point at, clients that carry a real CSRF token, and row counts of every model."""

from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApplicationStatus
from accounts.services import create_api_token
from availability.models import AvailabilityException, ExceptionKind, WeeklyAvailability
from availability.slots import free_slots
from bookings.models import MentoringSession
from notifications.models import EmailKind, OutboundEmail
from ops.heartbeat import beat
from tests.factories import MentorProfileFactory, UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

ROLES = ("anonymous", "mentee", "mentor", "other_mentee", "admin")

# A valid mentor application or profile, as the form posts it.
PROFILE = {
    "headline": "Python engineer",
    "bio": "Ten years of Python.",
    "skills": "Python, Django",
    "hourly_rate": "50.00",
    "default_session_minutes": "60",
    "time_zone": "UTC",
    "linkedin_url": "",
    "github_url": "",
}

# A valid sign-up, as the form posts it.
SIGNUP = {
    "first_name": "New",
    "last_name": "Person",
    "email": "new.person@example.com",
    "time_zone": "UTC",
    "password1": "a-long-new-password-42",
    "password2": "a-long-new-password-42",
}


@dataclass
class World:
    users: dict
    session: MentoringSession
    applicant_profile: object
    weekly: WeeklyAvailability
    exception: AvailabilityException
    email: OutboundEmail
    slot: str
    uidb64: str
    webhook: WebhookEndpoint
    webhook_delivery: WebhookDelivery


@pytest.fixture
def world(mentee, mentor, other_mentee, admin_user, pending_session) -> World:
    applicant = UserFactory(first_name="Andy", last_name="Applicant")
    applicant_profile = MentorProfileFactory(user=applicant, status=ApplicationStatus.PENDING)
    weekly = None
    for weekday in range(7):
        window = WeeklyAvailability.objects.create(
            mentor=mentor, weekday=weekday, start_time=time(9), end_time=time(17)
        )
        weekly = weekly or window
    today = timezone.now().astimezone(mentor.zone).date()
    exception = AvailabilityException.objects.create(
        mentor=mentor, date=today + timedelta(days=30), kind=ExceptionKind.OFF
    )
    email = OutboundEmail.objects.create(
        kind=EmailKind.SESSION_CONFIRMED,
        session=pending_session,
        recipient=mentee,
        to_email=mentee.email,
        subject="Your session is confirmed",
        body_text="Hello",
        body_html="<p>Hello</p>",
        message_id="<security-matrix@example.com>",
        next_attempt_at=timezone.now(),
    )
    webhook = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in", events=",session.confirmed,"
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        event_type="session.confirmed",
        payload="{}",
        msg_id="msg_security_matrix",
        state="failed",
        next_attempt_at=timezone.now(),
    )
    beat("security-tests")  # a live worker, so /healthz answers 200
    create_api_token(mentee, "Slack bot")  # the mentee's API token, for its revoke URL
    slot = free_slots(mentor, duration_minutes=60)[0].isoformat()
    return World(
        users={
            "anonymous": None,
            "mentee": mentee,
            "mentor": mentor,
            "other_mentee": other_mentee,
            "admin": admin_user,
        },
        session=pending_session,
        applicant_profile=applicant_profile,
        weekly=weekly,
        exception=exception,
        email=email,
        slot=slot,
        uidb64=urlsafe_base64_encode(force_bytes(mentee.pk)),
        webhook=webhook,
        webhook_delivery=webhook_delivery,
    )


class CsrfClient(Client):
    """A client that enforces CSRF like a browser would meet it, and whose `post` sends
    the valid token (cookie + form field) unless `csrf=False`."""

    def __init__(self, user=None):
        super().__init__(enforce_csrf_checks=True)
        self.csrf_token = _get_new_csrf_string()
        self.cookies["csrftoken"] = self.csrf_token
        if user is not None:
            self.force_login(user)

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrfmiddlewaretoken"] = self.csrf_token
        return super().post(path, data, **kwargs)


def row_counts() -> dict[str, int]:
    """Rows in every table of every installed model."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def counted_attempts() -> dict[tuple[str, str], list[str]]:
    """The attempts every rate limit holds (ops/ratelimit.py), by (scope, key): an attempt
    counted for a key that has a row already changes no row count, only this."""
    logs = apps.get_model("ops.RateLimitLog").objects.all()
    return {(log.scope, log.key): log.attempts for log in logs}


SNAPSHOT_MODELS = (
    "accounts.User",
    "accounts.MentorProfile",
    "bookings.MentoringSession",
    "availability.WeeklyAvailability",
    "availability.AvailabilityException",
    "notifications.OutboundEmail",
)


def snapshot() -> dict:
    """Row counts of every model, and every field of the rows people act on."""
    rows = {
        label: list(apps.get_model(label)._default_manager.order_by("pk").values())
        for label in SNAPSHOT_MODELS
    }
    return {"counts": row_counts(), "rows": rows}
