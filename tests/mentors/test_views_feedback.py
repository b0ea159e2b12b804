"""POST /sessions/<id>/feedback/ and the feedback block on the session page."""

import pytest
from django.test import Client

from bookings.models import Status
from mentors.models import Feedback
from tests.conftest import client_for
from tests.factories import SessionFactory
from tests.helpers import messages_of


def _post(client, session, **data):
    return client.post(f"/sessions/{session.pk}/feedback/", {"rating": "5", **data})


# --- access ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(completed_session):
    response = _post(Client(), completed_session)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("persona", ["mentor", "other_mentee", "admin_user"])
def test_anyone_but_the_sessions_mentee_gets_404(request, completed_session, persona):
    response = _post(client_for(request.getfixturevalue(persona)), completed_session)

    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_an_unknown_session_is_404(mentee, db):
    response = client_for(mentee).post("/sessions/999999/feedback/", {"rating": "5"})

    assert response.status_code == 404


def test_get_is_not_allowed(completed_session, mentee):
    response = client_for(mentee).get(f"/sessions/{completed_session.pk}/feedback/")

    assert response.status_code == 405


def test_missing_csrf_is_refused(completed_session, mentee):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentee)

    response = _post(client, completed_session)

    assert response.status_code == 403
    assert not Feedback.objects.exists()


# --- giving feedback ----------------------------------------------------------------------


def test_the_mentee_rates_a_completed_session(completed_session, mentee):
    response = _post(client_for(mentee), completed_session, rating="4", comment="Clear advice.")

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{completed_session.pk}/"
    assert list(Feedback.objects.values_list("session", "rating", "comment")) == [
        (completed_session.pk, 4, "Clear advice.")
    ]
    assert messages_of(response) == [("success", "Thank you for your feedback!")]


def test_a_second_rating_is_refused_and_the_first_stays(completed_session, mentee):
    client = client_for(mentee)
    _post(client, completed_session, rating="5", comment="First")

    response = _post(client, completed_session, rating="1", comment="Second")

    assert list(Feedback.objects.values_list("rating", "comment")) == [(5, "First")]
    assert messages_of(response)[-1] == (
        "error",
        "You have already rated this session; feedback can be given once.",
    )


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED, Status.CANCELLED])
def test_a_session_not_completed_cannot_be_rated(mentor, mentee, status):
    session = SessionFactory(mentor=mentor, mentee=mentee, status=status)

    response = _post(client_for(mentee), session)

    assert response["Location"] == f"/sessions/{session.pk}/"
    assert not Feedback.objects.exists()
    assert messages_of(response) == [
        (
            "error",
            "You can leave feedback once the session has been completed; nothing was saved.",
        )
    ]


@pytest.mark.parametrize("rating", ["", "0", "6", "4.5", "five", "-1"])
def test_an_invalid_rating_is_refused(completed_session, mentee, rating):
    response = _post(client_for(mentee), completed_session, rating=rating)

    assert not Feedback.objects.exists()
    assert messages_of(response) == [("error", "Choose a rating from 1 to 5 stars.")]


def test_an_over_long_comment_is_refused(completed_session, mentee):
    response = _post(client_for(mentee), completed_session, comment="x" * 2001)

    assert not Feedback.objects.exists()
    assert messages_of(response) == [
        ("error", "The comment is too long (at most 2000 characters).")
    ]


# --- the session page ----------------------------------------------------------------------


def test_the_mentee_sees_the_form_on_a_completed_session(completed_session, mentee):
    page = client_for(mentee).get(f"/sessions/{completed_session.pk}/").content.decode()

    assert f'action="/sessions/{completed_session.pk}/feedback/"' in page
    assert "How was your session?" in page
    assert page.count('type="radio" name="rating"') == 5


@pytest.mark.parametrize("status", [Status.PENDING, Status.CONFIRMED, Status.CANCELLED])
def test_no_form_before_completion(mentor, mentee, status):
    session = SessionFactory(mentor=mentor, mentee=mentee, status=status)

    page = client_for(mentee).get(f"/sessions/{session.pk}/").content.decode()

    assert "/feedback/" not in page


def test_the_mentor_gets_no_form(completed_session, mentor):
    page = client_for(mentor).get(f"/sessions/{completed_session.pk}/").content.decode()

    assert "/feedback/" not in page
    assert "How was your session?" not in page


def test_after_rating_the_mentee_sees_the_rating_instead_of_the_form(completed_session, mentee):
    client = client_for(mentee)
    _post(client, completed_session, rating="4", comment="Clear <b>advice</b>.")

    page = client.get(f"/sessions/{completed_session.pk}/").content.decode()

    assert "/feedback/" not in page
    assert '<h2 id="feedback-title">Your feedback</h2>' in page
    assert '<span class="stars" aria-hidden="true">★★★★☆</span> 4/5' in page
    assert "Clear &lt;b&gt;advice&lt;/b&gt;." in page


def test_the_mentor_sees_the_feedback_they_received(completed_session, mentee, mentor):
    _post(client_for(mentee), completed_session, rating="5", comment="Great")

    page = client_for(mentor).get(f"/sessions/{completed_session.pk}/").content.decode()

    assert "Feedback from John Doe" in page
    assert "5/5" in page


def test_ratings_show_on_the_mentors_profile_and_card(completed_session, mentee, mentor):
    _post(client_for(mentee), completed_session, rating="4")

    profile = Client().get(f"/mentors/{mentor.pk}/").content.decode()
    directory = Client().get("/mentors/").content.decode()

    for page in (profile, directory):
        assert '<strong>4.0</strong> <span class="muted">(1 review)</span>' in page
