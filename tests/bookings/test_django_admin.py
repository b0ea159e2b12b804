"""Django's own admin (/django-admin/) repairs data; it does not change sessions
(docs/PRODUCT.md §4.1). What a change must tell people about — the time, the length, the
people, the status, the links, the price — is read-only there: a change made there would
send no email, no new invite and write no audit entry, and an overlapping time would break
the database's no-overlap guard. The product's own pages make those changes."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from bookings import services
from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import OutboundEmail
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory, UserFactory

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
OTHER_LINK = "https://meet.google.com/xyz-wvut-srq"
CHANGE_URL = "/django-admin/bookings/mentoringsession/{}/change/"
# The only field of a session that Django's admin may change.
EDITABLE = ["notes"]


class _FormFields(HTMLParser):
    """The name → value pairs a browser would submit for the page's main form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox"):
            self.data[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self.data[name] = name, ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(page: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page)
    return parser.data


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def confirmed_pair(mentor, mentee, other_mentee, admin_user):
    """Two confirmed sessions of Jane's, two hours apart."""
    first = SessionFactory(mentor=mentor, mentee=mentee, start=START)
    second = SessionFactory(mentor=mentor, mentee=other_mentee, start=START + timedelta(hours=2))
    for session in (first, second):
        services.confirm_session(session, link=MEET, by=admin_user)
    return first, second


def snapshot(session: MentoringSession) -> dict:
    return MentoringSession.objects.values().get(pk=session.pk)


@pytest.mark.django_db
def test_the_change_form_shows_everything_but_the_notes_read_only(superuser, confirmed_pair):
    _, session = confirmed_pair

    response = client_for(superuser).get(CHANGE_URL.format(session.pk))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == EDITABLE
    readonly = {
        field.field["name"]
        for fieldset in response.context["adminform"]
        for line in fieldset
        for field in line
        if field.is_readonly
    }
    assert {
        "mentor",
        "mentee",
        "start",
        "duration_minutes",
        "status",
        "meeting_link",
        "admin_provided_link",
        "link_provided_at",
        "amount",
        "currency",
        "payment_status",
        "ics_sequence",
    } <= readonly
    page = response.content.decode()
    assert 'name="start_0"' not in page and 'name="status"' not in page
    assert MEET in page  # shown, as text


@pytest.mark.django_db
def test_a_post_changing_the_time_status_people_or_links_changes_only_the_notes(
    superuser, confirmed_pair, mentee
):
    first, session = confirmed_pair
    client = client_for(superuser)
    data = form_data(client.get(CHANGE_URL.format(session.pk)).content.decode())
    before = snapshot(session)
    events, emails = SessionEvent.objects.count(), OutboundEmail.objects.count()

    # Onto the other session's time: PostgreSQL's no-overlap guard would refuse it.
    response = client.post(
        CHANGE_URL.format(session.pk),
        {
            **data,
            "start_0": "2030-01-15",
            "start_1": "13:30:00",
            "status": Status.CANCELLED,
            "admin_provided_link": OTHER_LINK,
            "meeting_link": OTHER_LINK,
            "mentee": str(mentee.pk),
            "duration_minutes": "90",
            "currency": "EUR",
            "ics_sequence": "7",
            "notes": "Repaired: the mentee's notes.",
        },
    )

    assert response.status_code == 302
    assert snapshot(session) == {
        **before,
        "notes": "Repaired: the mentee's notes.",
        "updated_at": snapshot(session)["updated_at"],
    }
    assert (SessionEvent.objects.count(), OutboundEmail.objects.count()) == (events, emails)
    assert snapshot(first)["start"] == START


@pytest.mark.django_db
def test_sessions_cannot_be_added_there(superuser, mentor, mentee):
    client = client_for(superuser)

    page = client.get("/django-admin/bookings/mentoringsession/add/")
    posted = client.post(
        "/django-admin/bookings/mentoringsession/add/",
        {
            "mentor": str(mentor.pk),
            "mentee": str(mentee.pk),
            "start_0": "2030-01-15",
            "start_1": "13:00:00",
            "duration_minutes": "60",
        },
    )

    assert (page.status_code, posted.status_code) == (403, 403)
    assert MentoringSession.objects.count() == 0
