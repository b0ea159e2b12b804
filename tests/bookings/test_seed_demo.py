from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from bookings.models import MentoringSession, Status

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_creates_the_three_demo_logins_with_the_given_password():
    output = seed("--password", "demo1234")

    admin = User.objects.get(email="admin@example.com")
    mentor = User.objects.get(email="mentor@example.com")
    mentee = User.objects.get(email="mentee@example.com")
    assert admin.is_staff and admin.is_superuser
    assert mentor.mentor_profile.is_approved
    assert not mentee.is_staff and not hasattr(mentee, "mentor_profile")
    assert all(u.check_password("demo1234") for u in (admin, mentor, mentee))
    assert "admin:  admin@example.com  / demo1234" in output
    assert "mentee: mentee@example.com / demo1234" in output


def test_first_mentor_and_mentee_have_sessions_in_every_status_with_future_pending_ones():
    seed("--password", "demo1234")

    sessions = MentoringSession.objects.filter(
        mentor__email="mentor@example.com", mentee__email="mentee@example.com"
    )
    assert set(sessions.values_list("status", flat=True)) == set(Status.values)
    assert sessions.filter(status=Status.PENDING, start__gt=timezone.now()).count() == 3
    confirmed = sessions.get(status=Status.CONFIRMED)
    assert confirmed.get_meeting_link == "https://meet.google.com/abc-defg-hij"


def test_default_password_is_random_and_printed():
    output = seed()

    password = output.split("admin@example.com  / ")[1].split()[0]
    assert len(password) >= 10
    assert User.objects.get(email="admin@example.com").check_password(password)


def test_running_twice_creates_nothing_new_and_applies_the_new_password():
    seed("--password", "first-pass", "--sessions", "40")
    counts = (User.objects.count(), MentoringSession.objects.count())

    seed("--password", "second-pass", "--sessions", "40")

    assert (User.objects.count(), MentoringSession.objects.count()) == counts
    assert User.objects.get(email="mentee@example.com").check_password("second-pass")


def test_sessions_option_adds_that_many_generated_sessions():
    seed("--password", "demo1234")
    core = MentoringSession.objects.count()

    seed("--password", "demo1234", "--sessions", "120")

    assert MentoringSession.objects.count() == core + 120
    generated = MentoringSession.objects.filter(mentor__email__endswith="@mentors.example.com")
    assert generated.count() == 120
    assert set(generated.values_list("status", flat=True)) <= set(Status.values)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sessions", "-1"], "--sessions must be between 0 and 1000000; got -1."),
        (["--sessions", "many"], "--sessions must be a whole number; got 'many'."),
        (["--password", "abc"], "--password must have at least 4 characters."),
    ],
)
def test_bad_options_are_refused_with_a_message_and_create_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", *args, stdout=StringIO())

    assert User.objects.count() == 0
