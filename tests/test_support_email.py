"""Where people write with questions (docs/PRODUCT.md §6.3, SUPPORT_EMAIL): every place a
page says to contact us names the address as a mailto: link, and so does every page's
footer. (Emails: tests/notifications/test_catalogue.py.)"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from bookings.models import Status
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory

SUPPORT = "help@mentors.example.com"
MAILTO = f'<a href="mailto:{SUPPORT}">{SUPPORT}</a>'
START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def support_email(settings):
    settings.SUPPORT_EMAIL = SUPPORT


@pytest.fixture
def session(mentor, mentee):
    """Confirmed: the cancel cut-off applies (a pending request may be withdrawn until its
    start, docs/PRODUCT.md §2.4)."""
    return SessionFactory(
        mentor=mentor, mentee=mentee, start=START, status=Status.CONFIRMED, meeting_link=MEET
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/mentors/", "/accounts/login/"])
def test_every_page_footer_names_the_support_address(path):
    html = Client().get(path).content.decode()

    footer = html.split('<footer class="footer muted">', 1)[1].split("</footer>", 1)[0]
    assert f"Questions? Write to us at {MAILTO}." in footer


def test_mentee_past_the_cutoff_is_told_where_to_write(clock, mentee, session):
    clock.set(START - timedelta(hours=2))

    html = client_for(mentee).get(f"/sessions/{session.pk}/").content.decode()

    line = html.split('<p class="muted cancel-cutoff">', 1)[1].split("</p>", 1)[0]
    assert line == (
        "Cancelling closed at 2030-01-14 08:00 (America/New_York), 24 hours before the start. "
        f"If you cannot attend, please contact us at {MAILTO}."
    )


def test_mentee_card_past_the_cutoff_is_told_where_to_write(clock, mentee, session):
    clock.set(START - timedelta(hours=2))

    html = client_for(mentee).get("/dashboard/").content.decode()

    line = html.split('<p class="muted cancel-cutoff">', 1)[1].split("</p>", 1)[0]
    assert line.endswith(f"If you cannot attend, please contact us at {MAILTO}.")


def test_mentor_after_the_start_is_told_where_to_write(clock, mentor, session):
    clock.set(START + timedelta(minutes=5))

    html = client_for(mentor).get(f"/sessions/{session.pk}/").content.decode()

    line = html.split('<p class="muted cancel-cutoff">', 1)[1].split("</p>", 1)[0]
    assert line == (
        "The session has started, so it can no longer be cancelled here; "
        f"please contact us at {MAILTO} if something is wrong."
    )
