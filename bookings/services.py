"""The only writers of a session's status (docs/PRODUCT.md §2).

Each function: lock the row, check the transition against ALLOWED_TRANSITIONS, set every
related field, write the audit row and queue the emails — all in one transaction, so the
change and its side effects commit together or not at all.
"""

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import (
    BOOKABLE_MINUTES,
    CHOOSE_A_SESSION_LENGTH,
    ApplicationStatus,
    MentorProfile,
    User,
)
from availability.slots import is_slot_free
from bookings import cancellation, emails, ics, link_providers, rescheduling
from bookings.meeting_links import canonicalize_meeting_link
from bookings.models import (
    ALLOWED_TRANSITIONS,
    MentoringSession,
    SessionEvent,
    Status,
)
from bookings.representation import session_data
from bookings.selectors import confirmed_clash, mentee_clash, waiting_requests
from ops import ratelimit
from payments import services as payments
from payments.models import Payment
from payments.services import PaymentError
from webhooks import services as webhooks
from webhooks.models import WebhookEvent


class SessionActionError(Exception):
    """A refused action; the message is written for the person who tried it. `code` names
    the refusal for programs (the API chooses its answer by it, never by the words), and
    `field` is the input it is about ("" when it is about nothing the person sent)."""

    def __init__(self, message: str, *, code: str = "", field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


_STATUS_WORDS = {
    Status.PENDING: "pending",
    Status.CONFIRMED: "confirmed",
    Status.COMPLETED: "completed",
    Status.CANCELLED: "cancelled",
}


def _lock(session: MentoringSession, *, with_clash: bool = False) -> MentoringSession:
    # select_for_update serialises concurrent actions on PostgreSQL; on SQLite the
    # IMMEDIATE transaction mode already holds the database write lock. of=("self",): lock
    # only the session row, not the joined mentor/mentee user rows (a plain FOR UPDATE on a
    # join locks those too, serialising unrelated sessions and logins of the same people).
    # with_clash: the same read also says whether a confirmed session overlaps this one
    # (`confirmed_clash`, for _check_no_confirmed_overlap): one query, not two.
    locked = MentoringSession.objects.select_for_update(of=("self",))
    if with_clash:
        locked = locked.annotate(confirmed_clash=confirmed_clash())
    return locked.select_related("mentor", "mentee").get(pk=session.pk)


def _check_transition(session: MentoringSession, target: str) -> None:
    if target in ALLOWED_TRANSITIONS[session.status]:
        return
    current = _STATUS_WORDS[session.status]
    if session.status == target:
        raise SessionActionError(f"This session is already {current}; nothing was changed.")
    if target == Status.PENDING:
        raise SessionActionError(
            f"A {current} session cannot be moved back to pending; nothing was changed."
        )
    if not ALLOWED_TRANSITIONS[session.status]:
        raise SessionActionError(
            f"This session is {current}, which is final; it cannot be "
            f"{_STATUS_WORDS[target]}. Nothing was changed."
        )
    raise SessionActionError(
        f"A {current} session cannot be {_STATUS_WORDS[target]}; nothing was changed."
    )


def _audit(session, *, actor, action, from_status, old_link: str, note="") -> None:
    # old_link/new_link are the link before and after the action: equal when it kept the link.
    SessionEvent.objects.create(
        session=session,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=session.status,
        old_link=old_link,
        new_link=session.get_meeting_link,
        note=note,
    )


def _announce(session: MentoringSession, event: str) -> None:
    """The change, to every webhook endpoint that asked for `event`: one insert, inside the
    change's transaction (docs/PRODUCT.md §12.2)."""
    webhooks.queue_event(event, session_data(session))


def _next_invite(session: MentoringSession) -> list[str]:
    """Ready the (locked) session for an invite: raise its revision, and give it its UID
    with its first invite (docs/PRODUCT.md §5.4). Returns the fields changed."""
    session.ics_sequence += 1
    if session.ics_uid:
        return ["ics_sequence"]
    session.ics_uid = ics.new_uid(session)
    return ["ics_sequence", "ics_uid"]


def _is_blank(link: object) -> bool:
    return link is None or (isinstance(link, str) and not link.strip())


def _created_link(session: MentoringSession) -> str:
    """A link from the configured provider for a confirmation given none, or "" (none
    configured, or the confirmation will be refused anyway: the provider is not asked).

    Called before `confirm_session` opens its transaction: a provider may be slow, and must
    never hold the session's row lock. The checks here are read without a lock only to spare
    a needless call; the transaction checks everything again."""
    if link_providers.configured_provider() is None:
        return ""
    current = MentoringSession.objects.filter(pk=session.pk).values("status", "start").first()
    if current is None or current["status"] != Status.PENDING:
        return ""
    if current["start"] <= timezone.now():
        return ""
    return link_providers.create_meeting_link(session)


def _resolve_link(link: str | None, created: str) -> tuple[str, str]:
    """(admin_provided_link, meeting_link) for a confirmation."""
    if not _is_blank(link):
        # Anything else, even non-text, goes to the validator: a message, not a crash.
        return canonicalize_meeting_link(link), ""
    if not created:
        # No automatic links: the validator refuses the blank link ("A meeting link is
        # required.") like any other bad link, next to the field.
        return canonicalize_meeting_link(""), ""
    return "", created


def create_link_for_confirmation(session_id: int) -> str:
    """A new link from the configured provider for a pending session's confirm dialog
    (docs/PRODUCT.md §3): nothing is locked or saved; the admin still confirms with it.

    Raises MentoringSession.DoesNotExist, SessionActionError (not pending) or
    LinkProviderError (none configured, or it failed)."""
    session = MentoringSession.objects.select_related("mentor", "mentee").get(pk=session_id)
    if session.status != Status.PENDING:
        raise SessionActionError(
            f"Only a pending session can be given a link to confirm it with; this one is "
            f"{_STATUS_WORDS[session.status]}. Nothing was changed."
        )
    return link_providers.create_meeting_link(session)


def confirm_session(session: MentoringSession, *, link: str | None, by) -> MentoringSession:
    """pending → confirmed with a meeting link; emails and invites to mentee and mentor.

    Given no link, a configured provider creates one first, outside the transaction
    (docs/PRODUCT.md §3); it is stored as the generated link.
    Raises SessionActionError (refused transition), ValidationError (bad or missing link) or
    LinkProviderError (the provider failed; nothing was changed).
    """
    created = _created_link(session) if _is_blank(link) else ""
    with transaction.atomic():
        session = _lock(session, with_clash=True)
        _check_transition(session, Status.CONFIRMED)
        # Confirming tells both people to join a few minutes before the start: once that has
        # passed, the message would name a time that is gone.
        if session.start <= timezone.now():
            raise SessionActionError(
                "This session's start time has passed; it can no longer be confirmed. "
                "Nothing was changed."
            )
        _check_no_confirmed_overlap(session)
        admin_link, auto_link = _resolve_link(link, created)
        old_link = session.get_meeting_link
        now = timezone.now()
        session.status = Status.CONFIRMED
        session.admin_provided_link = admin_link
        session.meeting_link = auto_link
        session.link_provided_at = now
        session.confirmed_by = by
        session.confirmed_at = now
        session.save(
            update_fields=[
                "status",
                "admin_provided_link",
                "meeting_link",
                "link_provided_at",
                "confirmed_by",
                "confirmed_at",
                *_next_invite(session),
                "updated_at",
            ]
        )
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CONFIRM,
            from_status=Status.PENDING,
            old_link=old_link,
        )
        emails.queue_session_confirmed(session)
        _announce(session, WebhookEvent.SESSION_CONFIRMED)
    return session


def change_meeting_link(session: MentoringSession, *, link: str, by) -> MentoringSession:
    """Replace a confirmed session's link; both people get the new link and an updated invite."""
    with transaction.atomic():
        session = _lock(session)
        if session.status != Status.CONFIRMED:
            raise SessionActionError(
                f"Only a confirmed session's link can be changed; this one is "
                f"{_STATUS_WORDS[session.status]}. Nothing was changed."
            )
        new_link = canonicalize_meeting_link(link)
        old_link = session.get_meeting_link
        if new_link == old_link:
            raise SessionActionError("That is already the session's link; nothing was changed.")
        session.admin_provided_link = new_link
        session.link_provided_at = timezone.now()
        fields = ["admin_provided_link", "link_provided_at", *_next_invite(session)]
        session.save(update_fields=[*fields, "updated_at"])
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CHANGE_LINK,
            from_status=Status.CONFIRMED,
            old_link=old_link,
        )
        emails.queue_link_changed(session, old_link=old_link)
        _announce(session, WebhookEvent.SESSION_LINK_CHANGED)
    return session


def complete_session(session: MentoringSession, *, by) -> MentoringSession:
    """confirmed → completed, once the session has started, whoever asks (an admin too):
    the mentee gets a thank-you and may rate it, and the link leaves their page — none of
    which may happen before the meeting (docs/PRODUCT.md §2.2)."""
    with transaction.atomic():
        session = _lock(session)
        _check_transition(session, Status.COMPLETED)
        if session.start > timezone.now():
            raise SessionActionError(
                "A session can be marked completed once it has started; nothing was changed."
            )
        session.status = Status.COMPLETED
        session.completed_at = timezone.now()
        session.save(update_fields=["status", "completed_at", "updated_at"])
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.COMPLETE,
            from_status=Status.CONFIRMED,
            old_link=session.get_meeting_link,
        )
        emails.queue_session_completed(session)
        _announce(session, WebhookEvent.SESSION_COMPLETED)
    return session


def cancel_session(session: MentoringSession, *, by, reason: str = "") -> MentoringSession:
    """pending/confirmed → cancelled; both people are told who cancelled and why.

    by=None is the system (expiry). The mentee may cancel until the cut-off before the
    start, the mentor until the start, an admin or the system at any time
    (bookings.cancellation), whichever page or job asks.
    """
    reason = " ".join((reason or "").split())[:500]
    with transaction.atomic():
        session = _lock(session)
        _check_transition(session, Status.CANCELLED)
        if refused := cancellation.refusal(session, by, timezone.now()):
            raise SessionActionError(refused)
        from_status = session.status
        session.status = Status.CANCELLED
        session.cancelled_by = by
        session.cancelled_at = timezone.now()
        session.cancellation_reason = reason
        fields = ["status", "cancelled_by", "cancelled_at", "cancellation_reason"]
        # Only a confirmed session was ever in anyone's calendar: only it gets a CANCEL invite.
        had_invite = from_status == Status.CONFIRMED
        if had_invite:
            fields += _next_invite(session)
        fields += payments.on_session_cancelled(session)
        session.save(update_fields=[*fields, "updated_at"])
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.CANCEL,
            from_status=from_status,
            old_link=session.get_meeting_link,
            note=reason,
        )
        emails.queue_session_cancelled(session, was_confirmed=had_invite)
        _announce(session, WebhookEvent.SESSION_CANCELLED)
    return session


def set_status(
    session: MentoringSession, *, action: str, by, link: str | None = None, reason: str = ""
) -> MentoringSession:
    """Dispatch the set-status endpoint's `action` to the one service for it."""
    if action == Status.CONFIRMED:
        return confirm_session(session, link=link, by=by)
    if action == Status.COMPLETED:
        return complete_session(session, by=by)
    if action == Status.CANCELLED:
        return cancel_session(session, by=by, reason=reason)
    if action == Status.PENDING:
        current = MentoringSession.objects.only("status").get(pk=session.pk)
        _check_transition(current, Status.PENDING)
    raise SessionActionError("Unknown action; nothing was changed.")


# --- booking ----------------------------------------------------------------------------


class BookingError(SessionActionError):
    """A refused booking; the message is written for the mentee who tried it."""


class PendingLimitReached(BookingError):
    """The mentee already has as many requests waiting for confirmation as one may have."""


class TooManyBookingAttempts(BookingError):
    """The account tried to book too often lately; `retry_after`: until one more may try."""

    def __init__(self, message: str, *, retry_after: timedelta) -> None:
        super().__init__(message, code="too_many_attempts")
        self.retry_after = retry_after


SLOT_TAKEN = "That time is no longer available. Please choose another time."
NOT_OFFERED = "That time is not one of the offered times. Please choose a time from the list."
# The exclusion constraints of migrations bookings/0002 and 0010 (the mentor's sessions,
# PostgreSQL only) and bookings/0009 (the mentee's).
NO_OVERLAP_CONSTRAINT = "session_no_overlap"
MENTEE_NO_OVERLAP_CONSTRAINT = "session_mentee_no_overlap"


def session_amount(hourly_rate: Decimal, duration_minutes: int) -> Decimal:
    """hourly rate × minutes / 60, to the cent (half up)."""
    amount = Decimal(hourly_rate) * duration_minutes / 60
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_no_confirmed_overlap(session: MentoringSession) -> None:
    """Confirming re-checks the mentor's calendar: on PostgreSQL the exclusion constraint
    already keeps pending, confirmed and completed sessions apart, but rows written around it
    (SQLite, data repair, imports) must still never become two sessions at once. The
    answer came with the locked row (`_lock(with_clash=True)`)."""
    if session.confirmed_clash:
        raise SessionActionError(
            "This session conflicts with another confirmed or completed session at that time "
            "for the same mentor; nothing was changed."
        )


def _mentee_busy(mentee, clash: MentoringSession | None) -> BookingError:
    """The refusal of a time the mentee already has a session at, named in their zone."""
    if clash is None:  # gone again since the constraint saw it (cancelled meanwhile)
        message = "You already have a session at that time. Please choose another time."
    else:
        zone = mentee.zone
        begin, end = clash.start.astimezone(zone), clash.end.astimezone(zone)
        message = (
            f"You already have a session with {clash.mentor.get_full_name()} on "
            f"{begin:%Y-%m-%d} from {begin:%H:%M} to {end:%H:%M} ({zone.key}) at that time. "
            "Please choose another time."
        )
    return BookingError(message, code="mentee_busy", field="start")


def _not_free(
    offered: bool, refusal: type[SessionActionError] = BookingError
) -> SessionActionError:
    """A time that is not free: taken by someone since it was offered, or never offered at
    all (off the grid, outside the hours, too long for the window, time off)."""
    if offered:
        return refusal(SLOT_TAKEN, code="slot_taken", field="start")
    return refusal(NOT_OFFERED, code="not_offered", field="start")


def check_mentee_free(mentee, start: datetime, duration_minutes: int, *, moving=None) -> None:
    """Refuse a time that overlaps one of the mentee's own pending or confirmed sessions,
    with any mentor, naming that session in the mentee's zone (docs/PRODUCT.md §7.2).

    Booking calls it; moving a session to a new time passes that session as `moving`, so
    that its own current time does not count. Call it inside the transaction that writes,
    after `_lock_mentee`: then no other booking of the mentee can slip in between."""
    end = start + timedelta(minutes=duration_minutes)
    clash = mentee_clash(mentee.pk, start, end, other_than=moving.pk if moving else None)
    if clash is not None:
        raise _mentee_busy(mentee, clash)


def _lock_mentee(mentee) -> None:
    """Bookings of one mentee queue up (PostgreSQL; SQLite's write lock already does). FOR
    NO KEY UPDATE: it does not block inserting sessions that refer to the person (those
    take KEY SHARE), so a person booking as mentee and booked as mentor cannot deadlock."""
    list(User.objects.select_for_update(no_key=True).filter(pk=mentee.pk).values_list("pk"))


def _refusal_for(error: IntegrityError, mentee, start: datetime, duration_minutes: int):
    """The booking's refusal for a violated no-overlap constraint; None for any other."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if constraint == NO_OVERLAP_CONSTRAINT:
        return _not_free(offered=True)
    if constraint == MENTEE_NO_OVERLAP_CONSTRAINT:
        end = start + timedelta(minutes=duration_minutes)
        return _mentee_busy(mentee, mentee_clash(mentee.pk, start, end))
    return None


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_MAKE_ROOM = (
    "Please wait until an admin confirms one, or withdraw one from My Sessions, before "
    "requesting another."
)


def check_pending_limit(mentee, mentor, now: datetime) -> None:
    """Refuse one request more than MENTEE_PENDING_LIMIT_TOTAL waiting for confirmation
    with all mentors together, or MENTEE_PENDING_LIMIT with this mentor: requests nobody
    has agreed to must not fill a mentor's calendar (docs/PRODUCT.md §7.2). Call it inside
    the transaction that writes, after `_lock_mentee`: the count cannot change meanwhile."""
    with_mentor, in_all = waiting_requests(mentee.pk, mentor.pk, now)
    total = settings.MENTEE_PENDING_LIMIT_TOTAL
    if in_all >= total:  # named first: asking another mentor would not help either
        raise PendingLimitReached(
            f"You have reached the limit of {_counted(total, 'request')} waiting for confirmation, "
            f"with all mentors together. {_MAKE_ROOM}",
            code="pending_limit",
        )
    per_mentor = settings.MENTEE_PENDING_LIMIT
    if with_mentor >= per_mentor:
        raise PendingLimitReached(
            f"You have reached the limit of {_counted(per_mentor, 'request')} with "
            f"{mentor.get_full_name()} waiting for confirmation. {_MAKE_ROOM}",
            code="pending_limit",
        )


def count_booking_attempt(mentee) -> None:
    """One more attempt to book (a POST of the booking form, whatever comes of it) by the
    mentee's account: at most BOOKING_MAX_ATTEMPTS within any BOOKING_THROTTLE_MINUTES,
    counted in the database for every web process (ops/ratelimit.py). Beyond that it raises
    TooManyBookingAttempts and records nothing (docs/PRODUCT.md §7.2)."""
    limit, minutes = settings.BOOKING_MAX_ATTEMPTS, settings.BOOKING_THROTTLE_MINUTES
    rate = ratelimit.Rate(scope="booking", limit=limit, window=timedelta(minutes=minutes))
    try:
        ratelimit.attempt(rate, str(mentee.pk))
    except ratelimit.RateLimited as refused:
        wait = max(1, math.ceil(refused.retry_after.total_seconds() / 60))
        raise TooManyBookingAttempts(
            f"Too many booking attempts: you can try at most {limit} times in {minutes} "
            f"minutes. Please try again in {_counted(wait, 'minute')}; nothing was booked.",
            retry_after=refused.retry_after,
        ) from None


def _check_booking(mentor, mentee, start: datetime, duration_minutes, notes: str, now) -> None:
    """The checks that need no database (cheapest first, each with its own message)."""
    if mentor.pk == mentee.pk:
        raise BookingError(
            "You cannot book a session with yourself.", code="own_session", field="mentor"
        )
    if duration_minutes not in BOOKABLE_MINUTES:
        raise BookingError(CHOOSE_A_SESSION_LENGTH, code="session_length", field="duration_minutes")
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise BookingError("Choose a time from the list.", code="no_start", field="start")
    if len(notes) > 2000:
        raise BookingError(
            "Notes can be at most 2000 characters long.", code="notes_too_long", field="notes"
        )
    if start <= now:
        raise BookingError(
            "That time is in the past. Please choose a time from the list.",
            code="in_the_past",
            field="start",
        )
    notice = settings.BOOKING_MIN_NOTICE_HOURS
    if start < now + timedelta(hours=notice):
        raise BookingError(
            f"Sessions must be booked at least {notice} hours in advance. "
            "Please choose a later time.",
            code="too_soon",
            field="start",
        )
    horizon = settings.BOOKING_HORIZON_DAYS
    if start > now + timedelta(days=horizon):
        raise BookingError(
            f"Sessions can be booked at most {horizon} days ahead. Please choose an earlier time.",
            code="too_far_ahead",
            field="start",
        )


def book_session(
    mentor, mentee, start: datetime, duration_minutes: int, notes: str = "", *, now=None
) -> MentoringSession:
    """A pending session in a free slot, with its payment record and its emails ("booking
    received" to the mentee, "needs confirmation" to the admins), all in one transaction;
    refused while the mentee has as many requests waiting as one may (check_pending_limit).

    The amount comes from the mentor's rate *now*, read inside the transaction; nothing the
    client sends can change it. Raises BookingError with a message for the mentee.
    """
    now = now or timezone.now()
    notes = (notes or "").strip()
    _check_booking(mentor, mentee, start, duration_minutes, notes, now)
    try:
        # The check below and the insert must not interleave with another booking of the
        # same mentor. SQLite: transaction_mode IMMEDIATE (settings) takes the database
        # write lock when this block begins. PostgreSQL: the mentor's profile row is locked
        # (FOR UPDATE), so bookings of one mentor queue up; without that lock, concurrent
        # inserts that conflict wait for each other inside the exclusion constraint and
        # can deadlock. The constraint stays the guarantee for every other writer; its
        # violation is translated below. The lock also pins the rate read here.
        with transaction.atomic():
            profile = (
                MentorProfile.objects.select_for_update()
                .filter(user_id=mentor.pk, status=ApplicationStatus.APPROVED, user__is_active=True)
                .first()
            )
            if profile is None:
                raise BookingError(
                    "This mentor is not taking bookings.",
                    code="not_taking_bookings",
                    field="mentor",
                )
            # The mentee's lock also keeps their count of waiting requests still until the
            # insert: parallel bookings by one mentee cannot all see room for one more.
            _lock_mentee(mentee)
            # Before the time's checks: while the limit holds, no other time would do.
            check_pending_limit(mentee, mentor, now)
            check_mentee_free(mentee, start, duration_minutes)
            if not is_slot_free(mentor, start, duration_minutes, now=now):
                offered = is_slot_free(mentor, start, duration_minutes, now=now, busy=False)
                raise _not_free(offered)
            session = MentoringSession.objects.create(
                mentor=mentor,
                mentee=mentee,
                start=start,
                duration_minutes=duration_minutes,
                status=Status.PENDING,
                notes=notes,
                amount=session_amount(profile.hourly_rate, duration_minutes),
                currency=settings.CURRENCY,
            )
            SessionEvent.objects.create(
                session=session,
                actor=mentee,
                action=SessionEvent.Action.BOOK,
                from_status=Status.PENDING,
                to_status=Status.PENDING,
            )
            payments.create_for_session(session)
            emails.queue_booked(session)
            _announce(session, WebhookEvent.SESSION_BOOKED)
    except IntegrityError as error:
        refusal = _refusal_for(error, mentee, start, duration_minutes)
        if refusal is None:
            raise
        raise refusal from error
    return session


def _payment_reference(reference: str) -> str:
    return " ".join((reference or "").split())[:100]


def _with_payment_status(session: MentoringSession, payment: Payment) -> Payment:
    """Copy the payment's status onto the (locked) session and save it if it changed."""
    if payments.mirror(session, payment):
        session.save(update_fields=["payment_status", "updated_at"])
    return payment


def mark_paid(session: MentoringSession, *, by, reference: str = "") -> Payment:
    """The session's payment: pending → paid, by an admin (offline: the transfer arrived).
    Audited like the refund."""
    with transaction.atomic():
        session = _lock(session)  # the lock cancelling takes: never paid once cancelled
        if not getattr(by, "is_staff", False):
            raise PaymentError("Only an admin can mark a session paid; nothing was changed.")
        if session.status == Status.CANCELLED:
            raise PaymentError("A cancelled session cannot be marked paid; nothing was changed.")
        reference = _payment_reference(reference)
        payment = payments.record_paid(session, by=by, reference=reference)
        _with_payment_status(session, payment)
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.PAY,
            from_status=session.status,
            old_link=session.get_meeting_link,
            note=f"${payment.amount} paid (reference {payment.reference})",
        )
        return payment


def mark_refunded(session: MentoringSession, *, by=None, reference: str = "") -> Payment:
    """The session's payment: refund due → refunded, by an admin (offline) or an online
    provider reporting that its refund went through (by=None). Audited, and the mentee is
    told the money went back."""
    with transaction.atomic():
        session = _lock(session)
        if by is not None and not by.is_staff:
            raise PaymentError("Only an admin can mark a refund done; nothing was changed.")
        reference = _payment_reference(reference)
        payment = payments.record_refunded(session, reference=reference)
        _with_payment_status(session, payment)
        note = f"${payment.amount} refunded"
        _audit(
            session,
            actor=by,
            action=SessionEvent.Action.REFUND,
            from_status=session.status,
            old_link=session.get_meeting_link,
            note=f"{note} (reference {payment.reference})" if payment.reference else note,
        )
        emails.queue_payment_refunded(session, payment)
        return payment


# --- Rescheduling (docs/PRODUCT.md §2.7) ---------------------------------------------------

SAME_START = (
    "The session already starts at that time; choose a different time. Nothing was changed."
)


MOVED_MEANWHILE = (
    "This session was moved to another time meanwhile. Please look at its new time and "
    "try again. Nothing was changed."
)


# SessionEvent.note's length: the old and the new start take 55 of it, the reason the rest.
NOTE_LENGTH = SessionEvent._meta.get_field("note").max_length


class RescheduleError(SessionActionError):
    """A refused move to another time; the message is for the person who tried it."""


def reschedule_session(
    session: MentoringSession, *, start: datetime, by, reason: str = "", now=None
) -> MentoringSession:
    """Move a pending or confirmed session to another offered time, in one transaction:
    only its start changes (and its invite's sequence); status, link and payment stay.
    Raises RescheduleError (a SessionActionError) with a message for the person; a refusal
    changes nothing."""
    now = now or timezone.now()
    reason = reason or ""
    if len(reason) > 500:
        raise RescheduleError(
            "The reason can be at most 500 characters. Nothing was changed.",
            code="reason_too_long",
            field="reason",
        )
    reason = " ".join(reason.split())
    try:
        with transaction.atomic():
            seen = session.start
            session = _lock(session)
            # The policy of bookings/rescheduling.py, read under the lock (the mentee's
            # moves are counted inside this transaction).
            if refused := rescheduling.window(session, by, now).refusal:
                raise RescheduleError(refused, code="not_allowed")
            # The person chose the new time seeing the old one: if someone moved the session
            # meanwhile, their choice no longer answers what is there now.
            if session.start != seen:
                raise RescheduleError(MOVED_MEANWHILE, code="moved_meanwhile")
            if start == session.start:
                raise RescheduleError(SAME_START, code="same_start", field="start")
            # Queue up behind bookings of the same mentor and mentee, in book_session's order
            # (the mentor's profile row, then the mentee's user row).
            list(
                MentorProfile.objects.select_for_update()
                .filter(user_id=session.mentor_id)
                .values_list("pk")
            )
            _lock_mentee(session.mentee)
            # Free as the booking page computes it, the session's own time left out; if not,
            # taken by another session, or never offered at all (as when booking)?
            minutes = session.duration_minutes
            own = (session.start, session.start + timedelta(minutes=minutes))
            if not is_slot_free(session.mentor, start, minutes, now=now, moving=own):
                offered = is_slot_free(session.mentor, start, minutes, now=now, busy=False)
                raise _not_free(offered, refusal=RescheduleError)
            try:
                check_mentee_free(session.mentee, start, session.duration_minutes, moving=session)
            except BookingError as error:
                raise RescheduleError(str(error), code=error.code, field=error.field) from None
            old_start = session.start
            session.start = start
            session.ics_sequence += 1
            session.save(update_fields=["start", "ics_sequence", "updated_at"])
            note = f"{old_start.isoformat()} → {start.astimezone(UTC).isoformat()}"
            if reason:
                note += f": {reason}"
            if len(note) > NOTE_LENGTH:  # a long reason: as much as fits, marked as cut
                note = note[: NOTE_LENGTH - 1] + "…"
            _audit(
                session,
                actor=by,
                action=SessionEvent.Action.RESCHEDULE,
                from_status=session.status,
                old_link=session.get_meeting_link,
                note=note,
            )
            emails.queue_session_moved(session, old_start=old_start, by=by, reason=reason)
            _announce(session, WebhookEvent.SESSION_RESCHEDULED)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if constraint in (NO_OVERLAP_CONSTRAINT, MENTEE_NO_OVERLAP_CONSTRAINT):
            raise _not_free(offered=True, refusal=RescheduleError) from error
        raise
    return session
