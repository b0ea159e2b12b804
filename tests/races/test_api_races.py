"""Two admins confirm one session at the same moment, through the API and through the
dashboard (PostgreSQL only): exactly one wins, the other is told why in the page's words
(a 409 problem for the API), and the emails go out once."""

import pytest
from django.db import connection

from bookings.models import MentoringSession, SessionEvent, Status
from notifications.models import EmailKind, OutboundEmail
from tests.api.conftest import ApiClient, token_for
from tests.concurrency import run_together
from tests.conftest import MEET, client_for
from tests.factories import SessionFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Races need row locks between real concurrent connections: PostgreSQL only.",
    ),
]

ALREADY = "This session is already confirmed; nothing was changed."


def _by_api(admin, session):
    client = ApiClient(token_for(admin))
    path = f"/api/v1/sessions/{session.pk}/confirm"
    return lambda: ("api", client.post(path, {"meeting_link": MEET}))


def _by_page(admin, session):
    client = client_for(admin)
    path = f"/admin/sessions/{session.pk}/set-status/"
    return lambda: ("page", client.post(path, {"action": "confirmed", "meeting_link": MEET}))


@pytest.mark.parametrize("second", [_by_api, _by_page])
def test_two_admins_confirming_at_once_one_wins(second):
    for _ in range(5):
        session = SessionFactory()
        first_admin, second_admin = (UserFactory(is_staff=True) for _ in range(2))

        outcomes = run_together(_by_api(first_admin, session), second(second_admin, session))

        api_statuses = sorted(r.status_code for kind, r in outcomes if kind == "api")
        if second is _by_api:
            assert api_statuses == [200, 409]
            refused = next(r for _, r in outcomes if r.status_code == 409)
            assert refused.json()["detail"] == ALREADY
        else:
            assert api_statuses in ([200], [409])
        assert MentoringSession.objects.get(pk=session.pk).status == Status.CONFIRMED
        confirms = SessionEvent.objects.filter(session=session, action="confirm").count()
        assert confirms == 1
        emails = OutboundEmail.objects.filter(session=session, kind=EmailKind.SESSION_CONFIRMED)
        assert emails.count() == 2
