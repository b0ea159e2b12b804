"""Migrations that change what existing sessions hold, run forwards over rows written
before them (and the schema put back to the latest state afterwards)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


def _by_name(app: str, name: str) -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """The migration of `app` called `<number>_<name>`, and the app's state just before it
    (found by name: the number may change when parallel work is merged)."""
    loader = MigrationLoader(connection)
    [key] = [key for key in loader.disk_migrations if key[0] == app and key[1][5:] == name]
    before = [dep for dep in loader.disk_migrations[key].dependencies if dep[0] == app]
    return key, before


def _migrate(target: list[tuple[str, str]]):
    """Migrate to `target`; the apps (historical models) of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_sessions_from_before_stored_uids_keep_the_uid_their_invites_carry():
    """docs/PRODUCT.md §5.4: invites sent before the UID named the site's host said
    `session-<id>@codementorhub`; calendars know the event by that UID."""
    stored_uids, before = _by_name("bookings", "session_ics_uid")
    apps = _migrate(before)
    User = apps.get_model("accounts", "User")
    Session = apps.get_model("bookings", "MentoringSession")
    mentor = User.objects.create(email="jane@example.com", first_name="Jane")
    mentee = User.objects.create(email="john@example.com", first_name="John")
    sessions = [
        Session.objects.create(
            mentor=mentor,
            mentee=mentee,
            start=START + timedelta(days=n),
            status=status,
            ics_sequence=sequence,
        )
        for n, (status, sequence) in enumerate([("confirmed", 1), ("cancelled", 3), ("pending", 0)])
    ]

    apps = _migrate([stored_uids])

    stored = dict(
        apps.get_model("bookings", "MentoringSession").objects.values_list("pk", "ics_uid")
    )
    assert stored == {session.pk: f"session-{session.pk}@codementorhub" for session in sessions}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_reminders_from_before_moves_were_for_their_sessions_current_start():
    """Until sessions could move, every reminder was for its session's start: the rows
    written then get it, so a reminder already delivered still covers its lead."""
    reminder_start, before = _by_name("notifications", "session_reminder_start")
    # The sessions as they are today (the migration reads their start), the reminders before.
    sessions_now = MigrationLoader(connection).graph.leaf_nodes("bookings")
    apps = _migrate(before + sessions_now)
    User = apps.get_model("accounts", "User")
    Session = apps.get_model("bookings", "MentoringSession")
    Reminder = apps.get_model("notifications", "SessionReminder")
    mentor = User.objects.create(email="jane@example.com", first_name="Jane")
    mentee = User.objects.create(email="john@example.com", first_name="John")
    sessions = [
        Session.objects.create(
            mentor=mentor, mentee=mentee, start=START + timedelta(days=n), status="confirmed"
        )
        for n in range(2)
    ]
    for session in sessions:
        for person, lead in ((mentee, 24), (mentor, 1)):
            Reminder.objects.create(session=session, recipient=person, lead_hours=lead, sequence=1)

    apps = _migrate([reminder_start])

    stored = sorted(
        apps.get_model("notifications", "SessionReminder").objects.values_list(
            "session_id", "recipient_id", "start"
        )
    )
    assert stored == sorted(
        (session.pk, person.pk, session.start)
        for session in sessions
        for person in (mentee, mentor)
    )
