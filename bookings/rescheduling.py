"""Who may move a session to another time, and until when (docs/PRODUCT.md §2.7).

One policy for every entry point, like bookings/cancellation.py: bookings.services
.reschedule_session enforces it, and the pages use the same `window` to decide whether to
offer **Reschedule** and what to say when it is closed.

- only pending and confirmed sessions move; completed and cancelled ones are final;
- the mentee: until MENTEE_CANCEL_CUTOFF_HOURS before the current start, and at most
  MENTEE_RESCHEDULE_LIMIT moves of their own per session;
- the mentor and an admin: until the start;
- anyone else, and the system (by=None): never.

"Until" is exclusive: at the deadline itself moving is closed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from bookings.cancellation import MENTEE, OUTSIDER, role
from bookings.models import MentoringSession, SessionEvent, Status

NOTHING_CHANGED = "Nothing was changed."


@dataclass(frozen=True)
class RescheduleWindow:
    role: str  # cancellation.MENTEE, MENTOR, STAFF or OUTSIDER
    is_open: bool
    deadline: datetime | None  # moving closes at this instant (exclusive); None: never opens
    moves_left: int | None = None  # the mentee's moves left; None: no limit, or not counted
    reason: str = ""  # why it is closed, in words ("" when open)

    @property
    def refusal(self) -> str:
        """The service's message for a refused move ("" when open)."""
        return f"{self.reason} {NOTHING_CHANGED}" if self.reason else ""


def mentee_moves(session: MentoringSession) -> int:
    """How many times the session's mentee has moved it (moves by others do not count)."""
    return SessionEvent.objects.filter(
        session=session, actor_id=session.mentee_id, action=SessionEvent.Action.RESCHEDULE
    ).count()


def _times(count: int) -> str:
    return "1 time" if count == 1 else f"{count} times"


def _hours(hours: int) -> str:
    return "1 hour" if hours == 1 else f"{hours} hours"


def window(
    session: MentoringSession,
    user,
    now: datetime | None = None,
    *,
    moves: int | None = None,
    count_moves: bool = True,
) -> RescheduleWindow:
    """Whether `user` may move `session` now, until when, and (closed) why.

    For the mentee the moves made so far count: `moves` when the caller read them with the
    session (selectors.with_mentee_moves), else one query — unless count_moves=False: then
    the limit is not checked (a list of cards decides its buttons without a query per card;
    the page itself says when the limit is reached)."""
    now = now or timezone.now()
    who = OUTSIDER if user is None else role(session, user)
    if session.status not in (Status.PENDING, Status.CONFIRMED):
        status = session.get_status_display().lower()
        reason = f"This session is {status}, which is final; it cannot be moved."
        return RescheduleWindow(who, False, None, reason=reason)
    if who == OUTSIDER:
        reason = "Only the session's mentee, its mentor or an admin can move it."
        return RescheduleWindow(who, False, None, reason=reason)
    if now >= session.start:
        reason = "This session has already started; it can no longer be moved."
        return RescheduleWindow(who, False, session.start, reason=reason)
    if who != MENTEE:
        return RescheduleWindow(who, True, session.start)
    hours = settings.MENTEE_CANCEL_CUTOFF_HOURS
    cutoff = session.start - timedelta(hours=hours)
    if now >= cutoff:
        reason = (
            f"It is too late to move this session: moving closed {_hours(hours)} before the start."
        )
        return RescheduleWindow(who, False, cutoff, reason=reason)
    if not count_moves:
        return RescheduleWindow(who, True, cutoff)
    if moves is None:
        moves = mentee_moves(session)
    left = max(settings.MENTEE_RESCHEDULE_LIMIT - moves, 0)
    if not left:
        reason = f"This session has already been moved {_times(moves)}, the most a mentee may."
        return RescheduleWindow(who, False, cutoff, moves_left=0, reason=reason)
    return RescheduleWindow(who, True, cutoff, moves_left=left)
