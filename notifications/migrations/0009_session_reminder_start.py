"""Each reminder records the start it was for, so a session moved to another time is owed
its reminders again. Until sessions could move, every reminder was for its session's
current start: existing rows get that."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_start(apps, schema_editor):
    SessionReminder = apps.get_model("notifications", "SessionReminder")
    MentoringSession = apps.get_model("bookings", "MentoringSession")
    SessionReminder.objects.update(
        start=Subquery(MentoringSession.objects.filter(pk=OuterRef("session_id")).values("start"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0014_sessionevent_rescheduled"),
        ("notifications", "0008_email_kinds_session_moved"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionreminder",
            name="start",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_start, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sessionreminder",
            name="start",
            field=models.DateTimeField(),
        ),
    ]
