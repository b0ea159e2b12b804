"""A mentor's reviews summed up on their profile (docs/PRODUCT.md §8.3): what the directory
and the home page order by, kept when a review is written, and filled for reviews given
before the summary existed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from accounts.models import MentorProfile
from bookings.models import Status
from mentors import selectors, services
from tests.bookings.test_migrations import _migrate, back_to_latest  # noqa: F401 (fixture)
from tests.factories import SessionFactory
from tests.mentors.conftest import mentor_named, rate


def _summary(mentor) -> tuple[float, int]:
    return MentorProfile.objects.values_list("rating_avg", "rating_count").get(user=mentor)


@pytest.mark.django_db
def test_a_review_left_by_the_mentee_updates_the_mentors_summary(mentor, mentee, completed_session):
    assert _summary(mentor) == (0, 0)

    services.leave_feedback(completed_session, by=mentee, rating=4)
    assert _summary(mentor) == (4.0, 1)

    second = SessionFactory(
        mentor=mentor,
        mentee=mentee,
        start=completed_session.start - timedelta(days=2),
        status=Status.COMPLETED,
    )
    services.leave_feedback(second, by=mentee, rating=5)
    assert _summary(mentor) == (4.5, 2)


@pytest.mark.django_db
def test_a_refused_review_leaves_the_summary_alone(mentor, mentee, completed_session):
    services.leave_feedback(completed_session, by=mentee, rating=2)

    with pytest.raises(services.FeedbackError):
        services.leave_feedback(completed_session, by=mentee, rating=5)

    assert _summary(mentor) == (2.0, 1)


@pytest.mark.django_db
def test_the_home_pages_mentors_are_read_from_the_summary_not_the_reviews():
    # Created and named worst first: neither the ids nor the names give this order.
    unrated, good, best = (mentor_named(name) for name in ("Abe", "Max", "Zed"))
    rate(good, 4, 4)
    rate(best, 5)

    with CaptureQueriesContext(connection) as queries:
        featured = selectors.featured_mentors()

    assert [item.profile for item in featured] == [best, good, unrated]
    [profiles] = [q["sql"] for q in queries if "accounts_mentorprofile" in q["sql"]]
    assert "mentors_feedback" not in profiles


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_reviews_given_before_the_summary_are_counted_by_the_migration():
    before = [("accounts", "0004_name_search_fts_sqlite"), ("mentors", "0001_initial")]
    others = [node for node in MigrationLoader(connection).graph.leaf_nodes()]
    apps = _migrate(before + [node for node in others if node[0] not in ("accounts", "mentors")])
    User = apps.get_model("accounts", "User")
    Profile = apps.get_model("accounts", "MentorProfile")
    Session = apps.get_model("bookings", "MentoringSession")
    Feedback = apps.get_model("mentors", "Feedback")
    mentor = User.objects.create(email="jane@example.com", first_name="Jane")
    quiet = User.objects.create(email="rob@example.com", first_name="Rob")
    for user in (mentor, quiet):
        Profile.objects.create(user=user, headline="Mentor", hourly_rate=60, status="approved")
    for day, rating in enumerate([3, 4, 5]):
        session = Session.objects.create(
            mentor=mentor,
            mentee=User.objects.create(email=f"mentee{day}@example.com"),
            start=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day),
            duration_minutes=60,
            status="completed",
            amount=60,
            ics_uid=f"session-{day}@codementorhub.example.com",
        )
        Feedback.objects.create(session=session, rating=rating)

    apps = _migrate(MigrationLoader(connection).graph.leaf_nodes())

    stored = apps.get_model("accounts", "MentorProfile").objects.order_by("user__email")
    assert list(stored.values_list("user__email", "rating_avg", "rating_count")) == [
        ("jane@example.com", 4.0, 3),
        ("rob@example.com", 0.0, 0),
    ]
