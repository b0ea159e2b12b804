"""Two more kinds of email: the mentor's news of a request, the mentee's of a refund."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_email_session_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundemail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("session_confirmed", "Session confirmed"),
                    ("link_changed", "Meeting link changed"),
                    ("session_cancelled", "Session cancelled"),
                    ("session_completed", "Session completed"),
                    ("password_reset", "Password reset"),
                    ("booking_received", "Booking received"),
                    ("needs_confirmation", "Booking needs confirmation"),
                    ("pending_reminder", "Pending sessions reminder"),
                    ("session_reminder", "Session reminder"),
                    ("application_approved", "Mentor application approved"),
                    ("application_rejected", "Mentor application rejected"),
                    ("session_requested", "Session requested (to the mentor)"),
                    ("payment_refunded", "Refund made"),
                ],
                max_length=32,
            ),
        ),
    ]
