from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0015_sessionevent_marked_paid"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mentoringsession",
            index=models.Index(
                fields=["mentor", "dashboard_rank", "start", "id"],
                name="session_mentor_rank_start",
            ),
        ),
        migrations.AddIndex(
            model_name="mentoringsession",
            index=models.Index(
                fields=["mentee", "dashboard_rank", "start", "id"],
                name="session_mentee_rank_start",
            ),
        ),
    ]
