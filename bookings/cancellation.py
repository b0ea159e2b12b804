"""Who may cancel a session, and until when.

One policy for every entry point: bookings.services.cancel_session enforces it, and the
pages use the same functions to decide whether to offer the control and what to say.

- the mentee: a confirmed session until MENTEE_CANCEL_CUTOFF_HOURS before the start; a
  pending request (nobody has confirmed it yet: "withdrawing" it) until the start;
- the mentor: until the start;
- an admin, and the system (by=None, e.g. expiry): no time limit;
- anyone else: never.

"Until" is exclusive: at the deadline itself cancelling is closed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from bookings.models import MentoringSession, Status

MENTEE = "mentee"
MENTOR = "mentor"
STAFF = "staff"
OUTSIDER = "outsider"


@dataclass(frozen=True)
class CancelWindow:
    role: str
    deadline: datetime | None  # None: no time limit
    is_open: bool
    # The mentee's side: their cut-off (deadline of a confirmed session), whether it has
    # passed, and whether this is a pending request they would withdraw (deadline: start).
    cutoff: datetime | None = None
    cutoff_passed: bool = False
    withdrawal: bool = False

    @property
    def cutoff_words(self) -> str:
        """ "24 hours before the start" — for the pages."""
        return _cutoff_words()


def role(session: MentoringSession, user) -> str:
    """Who `user` is to `session`: STAFF (an admin, or None: the system), MENTEE, MENTOR or
    OUTSIDER. Shared by the cancelling and the rescheduling policies."""
    # Staff first: an admin who is also this session's mentee can still cancel it from the
    # admin dashboard after the mentee cut-off.
    if user is None or user.is_staff:
        return STAFF
    if user.pk == session.mentee_id:
        return MENTEE
    if user.pk == session.mentor_id:
        return MENTOR
    return OUTSIDER


def window(session: MentoringSession, user, now: datetime | None = None) -> CancelWindow:
    """Whether `user` (None: the system) may cancel `session` now, and until when."""
    now = now or timezone.now()
    who = role(session, user)
    active = session.status in (Status.PENDING, Status.CONFIRMED)
    if who == STAFF:
        return CancelWindow(who, None, active)
    if who == OUTSIDER:
        return CancelWindow(who, None, False)
    if who == MENTOR:
        return CancelWindow(who, session.start, active and now < session.start)
    # The cut-off keeps a time the mentor has committed to: a confirmed session. A request
    # nobody has confirmed holds nobody to anything, and may be booked inside the cut-off
    # (BOOKING_MIN_NOTICE_HOURS is shorter): the mentee may withdraw it until its start.
    cutoff = session.start - timedelta(hours=settings.MENTEE_CANCEL_CUTOFF_HOURS)
    withdrawal = session.status == Status.PENDING
    deadline = session.start if withdrawal else cutoff
    return CancelWindow(
        who,
        deadline,
        active and now < deadline,
        cutoff=cutoff,
        cutoff_passed=now >= cutoff,
        withdrawal=withdrawal,
    )


def refusal(session: MentoringSession, user, now: datetime) -> str:
    """Why `user` may not cancel this (pending or confirmed) session now; "" if they may.
    Times are shown in the current time zone (the viewer's, in a request)."""
    allowed = window(session, user, now)
    if allowed.is_open:
        return ""
    if allowed.role == OUTSIDER:
        return (
            "Only the session's mentee, its mentor or an admin can cancel it; nothing was changed."
        )
    if allowed.role == MENTOR:
        return (
            "This session has already started; it can no longer be cancelled. Nothing was changed."
        )
    if allowed.withdrawal:
        return (
            "This request's start time has passed; it can no longer be withdrawn. "
            "Nothing was changed."
        )
    local = timezone.localtime(allowed.deadline)
    return (
        f"It is too late to cancel this session: cancelling closed {_cutoff_words()}, "
        f"at {local:%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()}). "
        "Nothing was changed."
    )


def _hours() -> str:
    hours = settings.MENTEE_CANCEL_CUTOFF_HOURS
    return f"{hours} hour{'' if hours == 1 else 's'}"


def _cutoff_words() -> str:
    if settings.MENTEE_CANCEL_CUTOFF_HOURS == 0:
        return "when the session started"
    return f"{_hours()} before the start"


@dataclass(frozen=True)
class BookingCutoff:
    """The cut-off as the booking page states it: a time booked now that starts before
    `until` is inside the mentee's cut-off at once — once confirmed, the mentee can no
    longer cancel it (a pending request can still be withdrawn)."""

    until: datetime
    hours: str  # "24 hours"

    @property
    def note(self) -> str:
        """What the page says of a chosen time inside the cut-off."""
        return (
            f"This time starts within {self.hours}: once confirmed, it can no longer be "
            "cancelled here. Until it is confirmed, you can withdraw the request."
        )


def booking_cutoff(now: datetime) -> BookingCutoff:
    return BookingCutoff(now + timedelta(hours=settings.MENTEE_CANCEL_CUTOFF_HOURS), _hours())
