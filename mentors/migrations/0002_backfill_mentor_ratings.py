"""Fill the profiles' review summaries (accounts/0005) from the reviews given so far."""

from django.db import migrations
from django.db.models import Avg, Count


def backfill(apps, schema_editor):
    Feedback = apps.get_model("mentors", "Feedback")
    MentorProfile = apps.get_model("accounts", "MentorProfile")
    summaries = (
        Feedback.objects.order_by()
        .values("session__mentor_id")
        .annotate(average=Avg("rating"), count=Count("pk"))
    )
    for row in summaries:
        MentorProfile.objects.filter(user_id=row["session__mentor_id"]).update(
            rating_avg=row["average"], rating_count=row["count"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mentors", "0001_initial"),
        ("accounts", "0005_mentor_rating"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
