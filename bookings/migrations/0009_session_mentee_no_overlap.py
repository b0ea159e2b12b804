"""A mentee is in one session at a time, guarded by the database — PostgreSQL only.

Pending and confirmed sessions of one mentee may not overlap in time, whichever their
mentors: an exclusion constraint over (mentee_id WITH =, tstzrange(start, end) WITH &&),
the twin of the mentor's `session_no_overlap` (0002, which also made btree_gist and the
IMMUTABLE `bookings_session_end` this one uses).

SQLite has no such constraint: there, book_session's check-and-insert runs inside one
transaction that holds the database write lock from its start.

A database that already holds overlapping sessions of one mentee (booked before this
check existed) cannot take the constraint: the migration stops and names them, so that an
admin cancels one of each pair in the product, and `migrate` is run again.

Reversible: the constraint is dropped.
"""

from django.db import migrations

CONSTRAINT = "session_mentee_no_overlap"
ACTIVE = "('pending', 'confirmed')"

EXISTS = "SELECT 1 FROM pg_constraint WHERE conname = %s"

# Pairs of active sessions of one mentee that overlap: what would stop the constraint.
OVERLAPS = f"""
    SELECT a.mentee_id, a.id, b.id
    FROM bookings_mentoringsession a
    JOIN bookings_mentoringsession b ON b.mentee_id = a.mentee_id AND b.id > a.id
    WHERE a.status IN {ACTIVE} AND b.status IN {ACTIVE}
      AND tstzrange(a."start", bookings_session_end(a."start", a.duration_minutes), '[)')
       && tstzrange(b."start", bookings_session_end(b."start", b.duration_minutes), '[)')
    ORDER BY a.mentee_id, a.id, b.id
    LIMIT 20
"""

ADD = f"""
    ALTER TABLE bookings_mentoringsession
    ADD CONSTRAINT {CONSTRAINT}
    EXCLUDE USING gist (
        mentee_id WITH =,
        tstzrange("start", bookings_session_end("start", duration_minutes), '[)') WITH &&
    )
    WHERE (status IN {ACTIVE})
"""

DROP = f"ALTER TABLE bookings_mentoringsession DROP CONSTRAINT IF EXISTS {CONSTRAINT}"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Guarded, so that running it again (a restored dump, a hand-applied fix) is safe.
        cursor.execute(EXISTS, [CONSTRAINT])
        if cursor.fetchone():
            return
        cursor.execute(OVERLAPS)
        overlaps = cursor.fetchall()
    if overlaps:
        pairs = "; ".join(f"mentee {m}: sessions {a} and {b}" for m, a, b in overlaps)
        raise RuntimeError(
            "Some mentees have pending or confirmed sessions that overlap in time, so the "
            f"no-overlap constraint cannot be added. Cancel one of each pair ({pairs}), "
            "then run migrate again."
        )
    schema_editor.execute(ADD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0008_person_indexes_only_composite"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
