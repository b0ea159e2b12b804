"""No double booking, guarded by the database — PostgreSQL only.

Pending and confirmed sessions of one mentor may not overlap in time: an exclusion
constraint over (mentor_id WITH =, tstzrange(start, end) WITH &&). It needs btree_gist (for
`mentor_id WITH =` inside a GiST index; a trusted extension since PostgreSQL 13).

An index expression must be IMMUTABLE, and `timestamptz + interval` is only STABLE because
an interval with days or months depends on the session's TimeZone (a "day" across a DST
change is 23 or 25 hours). An interval of minutes only is a fixed number of microseconds,
so `start + make_interval(mins => n)` gives the same instant in every zone: declaring the
wrapper IMMUTABLE is truthful, and lets the constraint use it.

SQLite has no such constraint: there, book_session's check-and-insert runs inside one
transaction that holds the database write lock from its start (transaction_mode IMMEDIATE
in settings), so two bookings cannot interleave.

Reversible: the constraint and the function are dropped; the extension stays (other
objects may use it, and it is harmless).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    CREATE OR REPLACE FUNCTION bookings_session_end(start timestamptz, minutes integer)
    RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT start + make_interval(mins => minutes) $$
    """,
    # Guarded, so that running this SQL again (a restored dump, a hand-applied fix) is safe.
    """
    DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'session_no_overlap') THEN
        ALTER TABLE bookings_mentoringsession
        ADD CONSTRAINT session_no_overlap
        EXCLUDE USING gist (
            mentor_id WITH =,
            tstzrange("start", bookings_session_end("start", duration_minutes), '[)') WITH &&
        )
        WHERE (status IN ('pending', 'confirmed'));
    END IF;
    END $$
    """,
]

BACKWARD = [
    "ALTER TABLE bookings_mentoringsession DROP CONSTRAINT IF EXISTS session_no_overlap",
    "DROP FUNCTION IF EXISTS bookings_session_end(timestamptz, integer)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
