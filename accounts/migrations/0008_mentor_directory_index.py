"""The index the directory walks (docs/PRODUCT.md §8.2), after 0007 has filled the copies
it is made of (in a transaction of its own: PostgreSQL creates no index on a table whose
rows the same transaction has just updated)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_mentor_directory"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mentorprofile",
            index=models.Index(
                models.OrderBy(models.F("rating_avg"), descending=True),
                models.OrderBy(models.F("rating_count"), descending=True),
                django.db.models.functions.text.Lower("user_last_name"),
                django.db.models.functions.text.Lower("user_first_name"),
                models.F("id"),
                condition=models.Q(("status", "approved"), ("user_is_active", True)),
                name="mentor_directory",
            ),
        ),
    ]
