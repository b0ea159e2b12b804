"""The mentor and mentee keys lose their own indexes: session_mentor_start and
session_mentee_start begin with them and serve every lookup by person.

The indexes are dropped by name (the same on both databases). A plain AlterField would
make SQLite copy the whole table to drop an index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "bookings_mentoringsession"
# Django's names for the keys' own indexes (created by 0001_initial).
OWN_INDEXES = {
    "mentor": "bookings_mentoringsession_mentor_id_1e12a76a",
    "mentee": "bookings_mentoringsession_mentee_id_d3e30d0a",
}


def _drop(person: str) -> migrations.RunSQL:
    name = OWN_INDEXES[person]
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "{TABLE}" ("{person}_id")',
    )


def _no_own_index(person: str) -> migrations.AlterField:
    return migrations.AlterField(
        model_name="mentoringsession",
        name=person,
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name=f"sessions_as_{person}",
            to=settings.AUTH_USER_MODEL,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_rank_index_carries_people"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop("mentor"), _drop("mentee")],
            state_operations=[_no_own_index("mentor"), _no_own_index("mentee")],
        )
    ]
