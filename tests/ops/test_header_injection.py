"""No email header injection through names, cancellation reasons or links: every message
built from the outbox (notifications.delivery.build_message(...).message()) has exactly the
headers it should, whatever a person typed; signup refuses line breaks in names."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.forms import NAME_LINE_BREAK_MESSAGE, SignupForm
from bookings import services
from bookings.models import Status
from notifications.delivery import build_message
from notifications.models import OutboundEmail
from tests.factories import MentorFactory, SessionFactory, UserFactory

MEET = "https://meet.google.com/abc-defg-hij"
HOSTILE = [
    "Eve\r\nBcc: x@evil.test",
    "Eve\n Bcc: x@evil.test",
    "Eve\rBcc: x@evil.test",
    "Eve\r\n\r\nInjected body",
    "Eve\u2028Bcc: x@evil.test",
    "Eve\x85Bcc: x@evil.test",
]
EXPECTED_HEADERS = {
    "content-type",
    "mime-version",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "x-codementorhub-kind",
}


def _assert_clean(email: OutboundEmail) -> None:
    message = build_message(email).message()
    names = {name.lower() for name in message.keys()}
    assert names <= EXPECTED_HEADERS, names
    assert "bcc" not in names and "cc" not in names
    assert message.get_all("To") == [email.to_email]
    raw = message.as_bytes()
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    for line in head.splitlines():
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the header above
        name = line.split(b":", 1)[0].decode().lower()
        assert name in EXPECTED_HEADERS, line
    for value in message.values():
        assert "\n" not in str(value).replace("\n ", "").replace("\n\t", "")
    assert build_message(email).recipients() == [email.to_email]


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", HOSTILE)
def test_names_and_reasons_never_add_a_header(hostile):
    admin = UserFactory(is_staff=True, first_name=hostile, last_name=hostile)
    mentor = MentorFactory(first_name=hostile, last_name=hostile)
    mentee = UserFactory(first_name=hostile, last_name=hostile)
    session = SessionFactory(mentor=mentor, mentee=mentee, notes=hostile)
    services.confirm_session(session, link=MEET, by=admin)
    session.refresh_from_db()
    services.cancel_session(session, by=admin, reason=hostile)
    session.refresh_from_db()
    assert session.status == Status.CANCELLED
    emails = list(OutboundEmail.objects.all())
    assert len(emails) >= 4  # confirmed ×2, cancelled ×2
    for email in emails:
        _assert_clean(email)


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_subject_in_the_outbox_is_still_one_header(hostile):
    """Even a row written some other way (no render_email clean-up) cannot inject."""
    user = UserFactory()
    email = OutboundEmail.objects.create(
        kind="session_confirmed",
        recipient=user,
        to_email=user.email,
        subject=f"Session with {hostile}",
        body_text=f"Hello {hostile}\nJoin: {MEET}\r\nBcc: x@evil.test\n",
        body_html="<p>x</p>",
        message_id=OutboundEmail.new_message_id(),
        next_attempt_at=timezone.now(),
    )
    try:
        message = build_message(email).message()
    except ValueError:
        return  # refusing to build is also safe (delivery marks the row failed)
    names = {name.lower() for name in message.keys()}
    assert "bcc" not in names and "cc" not in names
    assert names <= EXPECTED_HEADERS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link",
    [
        f"{MEET}\r\nBcc: x@evil.test",
        f"{MEET}\n Bcc: x@evil.test",
        "https://meet.google.com/abc-defg-hij%0D%0ABcc:%20x@evil.test",
        f"{MEET}\u2028Bcc: x@evil.test",
    ],
)
def test_links_with_line_breaks_are_refused_and_send_nothing(link, admin_client_factory):
    admin = UserFactory(is_staff=True)
    session = SessionFactory()
    client = admin_client_factory(admin)
    client.post(
        f"/admin/sessions/{session.pk}/set-status/",
        {"action": "confirmed", "meeting_link": link},
    )
    session.refresh_from_db()
    if session.status == Status.CONFIRMED:  # only ever the canonical link
        assert session.admin_provided_link == MEET
    else:
        assert session.status == Status.PENDING
        assert not OutboundEmail.objects.exists()
    with pytest.raises((ValidationError, services.SessionActionError)):
        if session.status == Status.CONFIRMED:
            services.change_meeting_link(session, link=link, by=admin)
        else:
            services.confirm_session(session, link=link, by=admin)
    for email in OutboundEmail.objects.all():
        _assert_clean(email)


@pytest.fixture
def admin_client_factory():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


# Sign-up is limited per client address (accounts.forms.LimitedForm): the form needs its
# request.
SIGNUP_REQUEST = RequestFactory().post("/accounts/signup/")


def _signup_data(**overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "time_zone": "UTC",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("hostile", HOSTILE + ["Eve\tTab", "Eve\x00"])
def test_signup_refuses_line_breaks_in_names(field, hostile):
    form = SignupForm(data=_signup_data(**{field: hostile}), request=SIGNUP_REQUEST)
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.django_db
def test_signup_page_shows_the_clear_message_and_creates_nobody():
    from accounts.models import User

    response = Client().post(
        "/accounts/signup/", _signup_data(first_name="Eve\r\nBcc: x@evil.test")
    )
    assert response.status_code == 400
    assert NAME_LINE_BREAK_MESSAGE in response.content.decode()
    assert NAME_LINE_BREAK_MESSAGE == (
        "Names cannot contain line breaks, tabs or other control characters."
    )
    assert not User.objects.filter(email="ada@example.com").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Zoë", "José María", "O'Brien", "李", "Anne-Marie", "Jo  Ann"])
def test_signup_accepts_ordinary_names(name):
    form = SignupForm(data=_signup_data(first_name=name, last_name=name), request=SIGNUP_REQUEST)
    assert form.is_valid(), form.errors
