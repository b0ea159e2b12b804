"""Production delivery through a provider's HTTP API (django-anymail), chosen by EMAIL_PROVIDER.

Settings are read once per process, so each configuration is loaded in a subprocess with its
own environment. Sending is exercised in-process with the real anymail backends; only the
HTTP layer is replaced (requests' transport adapter), because this machine cannot reach the
providers: everything up to the bytes of the HTTP request is the code that runs in
production.
"""

import base64
import json
import os
import subprocess

import pytest
import requests
from anymail.backends import brevo, mailgun, postmark
from anymail.exceptions import AnymailUnsupportedFeature
from django.core.mail import EmailMultiAlternatives

from bookings import services
from notifications.delivery import deliver
from notifications.mail_providers import PostmarkBackend
from notifications.models import EmailState, OutboundEmail
from tests.conftest import MEET
from tests.helpers import run_python

PROVIDER_VARIABLES = ("EMAIL_", "POSTMARK_", "MAILGUN_", "BREVO_")

# EMAIL_PROVIDER → (every variable it needs, anymail's backend, the OPTIONS they become)
PROVIDERS = {
    "postmark": (
        {"POSTMARK_SERVER_TOKEN": "pm-token"},
        postmark.EmailBackend,
        {"server_token": "pm-token", "timeout": 20},
    ),
    "mailgun": (
        {"MAILGUN_API_KEY": "mg-key", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
        mailgun.EmailBackend,
        {"api_key": "mg-key", "sender_domain": "mg.example.com", "timeout": 20},
    ),
    "brevo": (
        {"BREVO_API_KEY": "xkeysib-1"},
        brevo.EmailBackend,
        {"api_key": "xkeysib-1", "timeout": 20},
    ),
}

# Settings and the default mailer only: no app registry needed, so it starts fast.
_PROBE = """
import json
from django.conf import settings
from django.core.mail import mailers
backend = mailers.default
print(json.dumps({
    "MAILERS": settings.MAILERS,
    "mro": [f"{c.__module__}.{c.__qualname__}" for c in type(backend).__mro__],
    "alias": backend.alias,
    "timeout": getattr(backend, "timeout", None),
}))
"""


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="test-secret-key-for-the-settings-probe",
        **env,
    )
    return run_python("-c", _PROBE, env=clean)


def _probe(**env: str) -> dict:
    result = _load_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _refusal(**env: str) -> str:
    result = _load_settings(**env)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


# --- Selection by environment ------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "smtp", "SMTP"])
def test_smtp_is_the_default(value):
    env = {} if value is None else {"EMAIL_PROVIDER": value}

    loaded = _probe(**env)

    assert loaded["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_postmark_with_its_token_makes_anymails_postmark_backend_the_default_mailer():
    loaded = _probe(EMAIL_PROVIDER="postmark", POSTMARK_SERVER_TOKEN="pm-token")

    assert loaded["MAILERS"] == {
        "default": {
            "BACKEND": "notifications.mail_providers.PostmarkBackend",
            "OPTIONS": {"server_token": "pm-token", "timeout": 20},
        }
    }
    # Django 6.1 built it as backend_class(alias="default", **OPTIONS): anymail accepts that.
    assert "anymail.backends.postmark.EmailBackend" in loaded["mro"]
    assert loaded["alias"] == "default"
    assert loaded["timeout"] == 20


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_builds_anymails_backend_from_its_variables(provider):
    variables, anymail_backend, options = PROVIDERS[provider]

    loaded = _probe(EMAIL_PROVIDER=provider, EMAIL_TIMEOUT="7", **variables)

    assert loaded["MAILERS"]["default"]["OPTIONS"] == {**options, "timeout": 7}
    assert f"{anymail_backend.__module__}.EmailBackend" in loaded["mro"]
    assert loaded["timeout"] == 7


def test_optional_provider_variables_are_passed_on():
    loaded = _probe(
        EMAIL_PROVIDER="mailgun",
        MAILGUN_API_KEY="mg-key",
        MAILGUN_SENDER_DOMAIN="mg.example.com",
        MAILGUN_API_URL="https://api.eu.mailgun.net/v3",
    )

    assert loaded["MAILERS"]["default"]["OPTIONS"]["api_url"] == "https://api.eu.mailgun.net/v3"


# --- Refused at start-up, naming the variable ----------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EMAIL_PROVIDER": "postmark"},
            "POSTMARK_SERVER_TOKEN must be set when EMAIL_PROVIDER=postmark.",
        ),
        (
            {"EMAIL_PROVIDER": "mailgun", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
            "MAILGUN_API_KEY must be set when EMAIL_PROVIDER=mailgun.",
        ),
        (
            {"EMAIL_PROVIDER": "mailgun", "MAILGUN_API_KEY": "mg-key"},
            "MAILGUN_SENDER_DOMAIN must be set when EMAIL_PROVIDER=mailgun.",
        ),
        (
            {"EMAIL_PROVIDER": "brevo", "BREVO_API_KEY": "  "},
            "BREVO_API_KEY must be set when EMAIL_PROVIDER=brevo.",
        ),
    ],
    ids=["postmark-token", "mailgun-key", "mailgun-domain", "brevo-blank-key"],
)
def test_a_missing_provider_variable_stops_start_up_naming_it(env, message):
    assert _refusal(**env) == f"django.core.exceptions.ImproperlyConfigured: {message}"


def test_an_unknown_provider_stops_start_up_naming_the_choices():
    assert _refusal(EMAIL_PROVIDER="sparkpost") == (
        "django.core.exceptions.ImproperlyConfigured: EMAIL_PROVIDER must be one of: smtp, "
        "postmark, mailgun, brevo; got 'sparkpost'."
    )


def test_a_provider_and_email_files_together_stop_start_up():
    assert _refusal(
        EMAIL_PROVIDER="postmark", POSTMARK_SERVER_TOKEN="pm-token", EMAIL_FILE_PATH="var/emails"
    ) == (
        "django.core.exceptions.ImproperlyConfigured: EMAIL_FILE_PATH (write emails to files) "
        "and EMAIL_PROVIDER=postmark (send them through a provider) exclude each other; "
        "unset one."
    )


# --- Sending through the provider's API (HTTP layer replaced) -------------------------------

# What each provider's API answers to an accepted message.
ACCEPTED = {
    "postmark": {
        "To": "john@example.com",
        "SubmittedAt": "2030-01-01T00:00:00Z",
        "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        "ErrorCode": 0,
        "Message": "OK",
    },
    "mailgun": {"id": "<20300101000000.1.1@mg.example.com>", "message": "Queued. Thank you."},
    "brevo": {"messageId": "<202301010000.1@smtp-relay.mailin.fr>"},
}


class FakeProviderAPI:
    """Stands in for the network under requests: records each prepared HTTP request and
    answers with `status` and `body` (JSON)."""

    def __init__(self) -> None:
        self.requests: list[requests.PreparedRequest] = []
        self.status = 200
        self.body: dict = {}

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response


@pytest.fixture
def provider_api(monkeypatch):
    api = FakeProviderAPI()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kwargs: api.send(request)
    )
    return api


def _use_provider(settings, provider: str) -> None:
    _, _, options = PROVIDERS[provider]
    backend = f"notifications.mail_providers.{provider.capitalize()}Backend"
    settings.MAILERS = {"default": {"BACKEND": backend, "OPTIONS": options}}


@pytest.fixture
def confirmed(pending_session, admin_user):
    return services.confirm_session(pending_session, link=MEET, by=admin_user)


def _mentee_email() -> OutboundEmail:
    return OutboundEmail.objects.get(to_email="john@example.com")


def test_a_confirmation_reaches_postmarks_api_with_body_headers_and_invite(
    settings, provider_api, confirmed
):
    _use_provider(settings, "postmark")
    provider_api.body = ACCEPTED["postmark"]
    email = _mentee_email()

    outcome = deliver(email.pk)

    assert outcome == EmailState.SENT
    assert _mentee_email().state == EmailState.SENT
    [request] = provider_api.requests
    assert (request.method, request.url) == ("POST", "https://api.postmarkapp.com/email")
    assert request.headers["X-Postmark-Server-Token"] == "pm-token"
    sent = json.loads(request.body)
    assert sent["From"] == "CodeMentorHub <no-reply@codementorhub.test>"
    assert sent["To"] == "john@example.com"
    assert sent["Subject"] == email.subject
    assert sent["TextBody"] == email.body_text
    assert sent["HtmlBody"] == email.body_html
    assert MEET in sent["TextBody"] and f'href="{MEET}"' in sent["HtmlBody"]
    assert {"Name": "Message-ID", "Value": email.message_id} in sent["Headers"]
    assert {"Name": "X-CodeMentorHub-Kind", "Value": "session_confirmed"} in sent["Headers"]
    # The invite travels as its attachment (an HTTP API takes no text/calendar alternative).
    assert sent["Attachments"] == [
        {
            "Name": "invite.ics",
            "Content": base64.b64encode(email.ics.encode()).decode(),
            "ContentType": "text/calendar; method=REQUEST; charset=utf-8",
        }
    ]
    assert "METHOD:REQUEST" in email.ics


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_accepts_an_email_with_a_calendar_invite(
    provider, settings, provider_api, confirmed
):
    _use_provider(settings, provider)
    provider_api.body = ACCEPTED[provider]
    email = _mentee_email()

    outcome = deliver(email.pk)

    assert outcome == EmailState.SENT
    [request] = provider_api.requests
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    assert email.subject.encode() in body or json.dumps(email.subject).encode()[1:-1] in body
    assert b"invite.ics" in body


def test_a_provider_outage_is_retried_later(settings, provider_api, confirmed):
    _use_provider(settings, "postmark")
    provider_api.status = 503
    provider_api.body = {"ErrorCode": 100, "Message": "Service unavailable"}
    email = _mentee_email()

    outcome = deliver(email.pk)

    email.refresh_from_db()
    assert outcome == EmailState.QUEUED
    assert (email.state, email.attempts) == (EmailState.QUEUED, 1)
    assert email.last_error.startswith("AnymailRequestsAPIError: Postmark API response 503")


def test_the_invite_alternative_is_kept_when_no_invite_is_attached(provider_api):
    """The adapter drops the calendar alternative only when the invite is attached too;
    otherwise anymail refuses the message loudly rather than lose the invite."""
    message = EmailMultiAlternatives("Subject", "Text", "a@example.com", ["b@example.com"])
    message.attach_alternative("BEGIN:VCALENDAR", "text/calendar; method=REQUEST")
    backend = PostmarkBackend(alias="default", server_token="pm-token")

    with pytest.raises(AnymailUnsupportedFeature):
        backend.send_messages([message])

    assert provider_api.requests == []


def test_a_recipient_the_provider_refuses_fails_at_once(settings, provider_api, confirmed):
    """Postmark's "inactive recipient" (a hard bounce or spam complaint before): anymail
    raises AnymailRecipientsRefused, which delivery treats as permanent."""
    _use_provider(settings, "postmark")
    provider_api.status = 422
    provider_api.body = {
        "ErrorCode": 406,
        "Message": "You tried to send to a recipient that has been marked as inactive.\n"
        "Found inactive addresses: john@example.com.\n"
        "Inactive recipients are ones that have generated a hard bounce or a spam complaint.",
    }
    email = _mentee_email()

    outcome = deliver(email.pk)

    email.refresh_from_db()
    assert outcome == EmailState.FAILED
    assert (email.state, email.attempts) == (EmailState.FAILED, 1)
    assert email.last_error.startswith("AnymailRecipientsRefused: ")
