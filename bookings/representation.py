"""A session as other systems read it: the JSON API's resource and the `data` of every
webhook event (docs/PRODUCT.md §10.1, planned), one function so that the two never differ.

Instants are ISO 8601 in UTC; money is a decimal string beside its currency; a person is
their id and full name (never their email: a mentor's API client has no business with the
mentee's address). Load the session with its mentor and mentee (select_related)."""

from datetime import UTC, datetime

from bookings.models import MentoringSession


def _instant(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _person(user) -> dict:
    return {"id": user.pk, "name": user.get_full_name() or str(user)}


def session_data(session: MentoringSession) -> dict:
    """The session as a JSON-ready dict (str, int and None values only)."""
    return {
        "id": session.pk,
        "status": session.status,
        "start": _instant(session.start),
        "end": _instant(session.end),
        "duration_minutes": session.duration_minutes,
        "mentor": _person(session.mentor),
        "mentee": _person(session.mentee),
        "meeting_link": session.get_meeting_link or None,
        "amount": f"{session.amount:.2f}",
        "currency": session.currency,
        "payment_status": session.payment_status,
        "notes": session.notes,
        "cancellation_reason": session.cancellation_reason,
        "created_at": _instant(session.created_at),
        "updated_at": _instant(session.updated_at),
    }
