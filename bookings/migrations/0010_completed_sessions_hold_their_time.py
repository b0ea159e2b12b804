"""Completed sessions hold their time in the database too — PostgreSQL only.

The no-overlap constraint of 0002 kept a mentor's pending and confirmed sessions apart. A
completed session holds its time as well (docs/PRODUCT.md §7.1): completing sends no cancel
invite, so the meeting stays in both people's calendars. The constraint is replaced by the
same one over pending, confirmed and completed sessions.

Rows that break the new rule can exist only from the time an admin could complete a session
before it took place and its time was booked again. Which of the two sessions should go is
a person's decision, not a migration's: the migration then stops before changing anything,
naming the sessions, so that an admin can cancel the pending or confirmed one and run
`migrate` again.

Reversible: back to the constraint of 0002 (pending and confirmed only).
"""

from django.db import migrations

HOLDING = "('pending', 'confirmed', 'completed')"
BEFORE = "('pending', 'confirmed')"


def _constraint(statuses: str) -> list[str]:
    # Dropped and added in one transaction (the migration's): no moment without a guard.
    return [
        "ALTER TABLE bookings_mentoringsession DROP CONSTRAINT IF EXISTS session_no_overlap",
        f"""
        ALTER TABLE bookings_mentoringsession
        ADD CONSTRAINT session_no_overlap
        EXCLUDE USING gist (
            mentor_id WITH =,
            tstzrange("start", bookings_session_end("start", duration_minutes), '[)') WITH &&
        )
        WHERE (status IN {statuses})
        """,
    ]


FORWARD = _constraint(HOLDING)
BACKWARD = _constraint(BEFORE)

# Two sessions of one mentor that hold their time and overlap, one of them completed: read
# along the (mentor, start) index (no session lasts more than 480 minutes).
CLASHES = f"""
    SELECT earlier.id, later.id
    FROM bookings_mentoringsession AS earlier
    JOIN bookings_mentoringsession AS later
      ON later.mentor_id = earlier.mentor_id
     AND later.start >= earlier.start
     AND later.start < bookings_session_end(earlier.start, earlier.duration_minutes)
     AND later.id <> earlier.id
    WHERE earlier.status IN {HOLDING} AND later.status IN {HOLDING}
      AND 'completed' IN (earlier.status, later.status)
      AND (later.start > earlier.start OR later.id > earlier.id)
    ORDER BY earlier.id, later.id
    LIMIT 20
"""


def clashes(connection) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(CLASHES)
        return [tuple(row) for row in cursor.fetchall()]


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    if found := clashes(schema_editor.connection):
        pairs = ", ".join(f"{a} and {b}" for a, b in found)
        raise RuntimeError(
            "Completed sessions cannot hold their time yet: these sessions of one mentor "
            f"overlap a completed one (session ids): {pairs}. Cancel the pending or confirmed "
            "session of each pair on the sessions dashboard (/admin/sessions/), then run "
            "migrate again; two completed sessions need a repair by hand. Nothing was changed."
        )
    for statement in FORWARD:
        schema_editor.execute(statement)


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0009_session_mentee_no_overlap"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward, elidable=False),
    ]
