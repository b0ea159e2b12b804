from datetime import UTC, datetime, timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import User
from bookings.management.commands.seed_demo import DEMO_MENTORS
from bookings.models import MentoringSession, Status
from bookings.services import check_pending_limit

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
    assert sessions.filter(status=Status.PENDING, start__gt=timezone.now()).count() == 2
    # Two waiting, not the limit: the demo mentee can still ask the demo mentor for one more.
    mentee, mentor = sessions[0].mentee, sessions[0].mentor
    check_pending_limit(mentee, mentor, timezone.now())
    confirmed = sessions.get(status=Status.CONFIRMED)
    assert confirmed.get_meeting_link == "https://meet.google.com/abc-defg-hij"


def demo_people(kind: str) -> QuerySet[User]:
    return User.objects.filter(email__startswith=f"demo-{kind}").order_by("id")


def test_demo_mentors_and_mentees_each_have_their_own_name():
    seed("--password", "demo1234")

    mentors, mentees = demo_people("mentor"), demo_people("mentee")
    people = [*mentors, *mentees, *User.objects.filter(email__endswith="@example.com")]
    assert (mentors.count(), mentees.count()) == (5, 10)
    assert len({u.last_name for u in mentors}) == 5
    assert len({u.get_full_name() for u in people}) == len(people)
    assert all(u.first_name and u.last_name for u in people)
    assert all(u.mentor_profile.is_approved and u.mentor_profile.headline for u in mentors)


def test_running_again_gives_existing_demo_people_their_names_and_the_new_password():
    seed("--password", "first-pass")
    demo_people("mentor").update(first_name="Ada", last_name="Lovelace")

    seed("--password", "second-pass")

    names = list(demo_people("mentor").order_by("email").values_list("first_name", "last_name"))
    assert names == [(first, last) for first, last, *_ in DEMO_MENTORS]
    assert all(u.check_password("second-pass") for u in demo_people("mentor"))
    assert all(u.check_password("second-pass") for u in demo_people("mentee"))


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


BUSY_MENTOR = "bulk-mentor1@mentors.example.com"
BUSY_MENTEE = "bulk-mentee1@mentees.example.com"


def generated() -> QuerySet[MentoringSession]:
    return MentoringSession.objects.filter(mentor__email__startswith="bulk-mentor")


def overlapping(sessions: QuerySet[MentoringSession], person: str) -> list[tuple[int, int]]:
    """Ids of one person's sessions that overlap in time (`person`: mentor_id or mentee_id)."""
    rows = sorted(sessions.values_list(person, "start", "duration_minutes", "id"))
    return [
        (a[3], b[3])
        for a, b in pairwise(rows)
        if a[0] == b[0] and a[1] + timedelta(minutes=a[2]) > b[1]
    ]


def test_busy_mentor_and_busy_mentee_get_their_fixed_share_of_the_generated_sessions():
    seed("--password", "demo1234", "--sessions", "1000")

    assert generated().count() == 1000
    assert generated().filter(mentor__email=BUSY_MENTOR).count() == 20
    assert generated().filter(mentee__email=BUSY_MENTEE).count() == 5


def test_other_mentors_share_the_rest_round_robin_in_signup_order():
    seed("--password", "demo1234", "--sessions", "1000")

    counts = list(
        generated()
        .exclude(mentor__email=BUSY_MENTOR)
        .values("mentor_id")
        .annotate(sessions=Count("id"))
        .order_by("mentor_id")
        .values_list("sessions", flat=True)
    )
    assert counts == [52] * 11 + [51] * 8


def test_busy_mentee_sessions_are_with_different_mentors():
    seed("--password", "demo1234", "--sessions", "1000")

    sessions = generated().filter(mentee__email=BUSY_MENTEE)
    assert sessions.values("mentor_id").distinct().count() == 5
    assert sessions.filter(mentor__email=BUSY_MENTOR).count() == 1


def test_output_names_the_busy_accounts_for_the_benchmark():
    output = seed("--password", "demo1234", "--sessions", "1000")

    assert output.splitlines()[-1] == (
        f"Benchmark accounts: mentor {BUSY_MENTOR} (20 sessions), "
        f"mentee {BUSY_MENTEE} (5 sessions)."
    )


def test_no_mentor_and_not_the_busy_mentee_has_overlapping_sessions():
    seed("--password", "demo1234", "--sessions", "1000")

    assert overlapping(generated(), "mentor_id") == []
    assert overlapping(generated().filter(mentee__email=BUSY_MENTEE), "mentee_id") == []


def active(sessions: QuerySet[MentoringSession]) -> QuerySet[MentoringSession]:
    return sessions.filter(status__in=[Status.PENDING, Status.CONFIRMED])


@pytest.mark.clock(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
def test_no_mentee_has_overlapping_pending_or_confirmed_sessions(clock):
    """On PostgreSQL the database refuses them (docs/PRODUCT.md §7.2); 4,000 sessions drawn
    at random among 800 mentees put two on one mentee's slot, unless the draw avoids it."""
    seed("--password", "demo1234", "--sessions", "4000")

    assert generated().count() == 4000
    assert overlapping(active(generated()), "mentee_id") == []


def test_running_again_with_the_same_number_creates_nothing_and_names_the_busy_accounts():
    seed("--password", "demo1234", "--sessions", "1000")

    output = seed("--password", "demo1234", "--sessions", "1000")

    assert generated().count() == 1000
    assert "1000 generated sessions already exist." in output
    assert f"mentor {BUSY_MENTOR} (20 sessions), mentee {BUSY_MENTEE} (5 sessions)." in output


def test_topping_up_ends_with_the_busy_counts_of_a_single_run_and_no_overlaps():
    seed("--password", "demo1234", "--sessions", "500")

    output = seed("--password", "demo1234", "--sessions", "1000")

    assert "Created 500 generated sessions (1000 in all)." in output
    assert generated().count() == 1000
    assert generated().filter(mentor__email=BUSY_MENTOR).count() == 20
    assert generated().filter(mentee__email=BUSY_MENTEE).count() == 5
    assert overlapping(generated(), "mentor_id") == []
    assert overlapping(generated().filter(mentee__email=BUSY_MENTEE), "mentee_id") == []


# Half a two-hour slot later; and 382 hours later, which would put the busy mentor's new
# sessions 15-20 exactly on their sessions 2-7 (slot j*1093 % 2880 is 191 slots further
# back) if slots were counted from each run's "now" rather than from a fixed grid.
@pytest.mark.parametrize("hours", [5, 382])
def test_topping_up_days_later_still_gives_no_overlaps(clock, hours):
    seed("--password", "demo1234", "--sessions", "500")
    clock.advance(timedelta(hours=hours))

    seed("--password", "demo1234", "--sessions", "1000")

    assert generated().count() == 1000
    assert overlapping(generated(), "mentor_id") == []
    assert overlapping(generated().filter(mentee__email=BUSY_MENTEE), "mentee_id") == []
    assert overlapping(active(generated()), "mentee_id") == []
