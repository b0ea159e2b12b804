"""Indexes for the staff search by name (bookings.selectors.admin_session_list →
accounts.search): each word must begin a person's first name, last name or email.

The index expressions must be exactly the ones accounts/search.py filters on:
- PostgreSQL: `lower(name) text_pattern_ops` serves `lower(name) LIKE 'word%'` in any
  database collation (a plain index serves LIKE only under the C collation);
- SQLite: `lower(name)` serves the range `lower(name) >= 'word' AND < 'word' || U+10FFFF`
  (SQLite uses no index for LIKE on an expression).
The email needs none: it is stored in lower case, and its unique index (plus, on
PostgreSQL, Django's `varchar_pattern_ops` twin of it) already serves the same prefix test.
"""

from django.db import migrations

FIELDS = ("first_name", "last_name")


def create(apps, schema_editor):
    opclass = " text_pattern_ops" if schema_editor.connection.vendor == "postgresql" else ""
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS user_lower_{field} "
            f"ON accounts_user ((lower({field})){opclass})"
        )


def drop(apps, schema_editor):
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS user_lower_{field}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_mentor_application")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
