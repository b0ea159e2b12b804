"""Each session stores its calendar UID (docs/PRODUCT.md §5.4).

Sessions that exist already keep exactly the UID their invites were sent with,
`session-<id>@codementorhub`: a calendar that has the event would otherwise add a second
one. Sessions booked from now on get a UID naming the site's host (bookings.ics.new_uid).
"""

from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat


def keep_the_uids_already_sent(apps, schema_editor):
    MentoringSession = apps.get_model("bookings", "MentoringSession")
    MentoringSession.objects.filter(ics_uid="").update(
        ics_uid=Concat(
            Value("session-"),
            Cast("id", CharField()),
            Value("@codementorhub"),
            output_field=CharField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("bookings", "0010_completed_sessions_hold_their_time")]

    operations = [
        migrations.AddField(
            model_name="mentoringsession",
            name="ics_uid",
            field=models.CharField(
                blank=True, default="", max_length=255, verbose_name="calendar UID"
            ),
        ),
        # Backwards, the column goes (RemoveField): nothing to undo here.
        migrations.RunPython(keep_the_uids_already_sent, migrations.RunPython.noop),
    ]
