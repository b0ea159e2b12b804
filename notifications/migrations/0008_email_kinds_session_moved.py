"""Two more kinds of email: a session moved to another time (to its two people), and a
pending one moved (to the admins, who still have to confirm it)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_email_kinds_request_and_refund"),
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
                    ("session_moved", "Session moved"),
                    ("pending_session_moved", "Pending session moved (to admins)"),
                ],
                max_length=32,
            ),
        ),
    ]
