from bookings import services
from bookings.models import Status
from notifications.models import OutboundEmail
from tests.conftest import MEET


def test_confirm_stores_canonical_link_and_queues_two_emails(pending_session, admin_user):
    services.confirm_session(pending_session, link=f" {MEET}/ ", by=admin_user)

    pending_session.refresh_from_db()
    assert pending_session.status == Status.CONFIRMED
    assert pending_session.admin_provided_link == MEET
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == [
        "jane@example.com",
        "john@example.com",
    ]
