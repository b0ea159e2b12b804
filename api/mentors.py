"""/api/v1/mentors/ (the directory and each mentor's free times) and /api/v1/bookings (a
mentee books a free time), through the directory's selector, the free-time computation and
the booking service the pages use (docs/PRODUCT.md §7, §8.2, §11.1)."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accounts.models import BOOKABLE_MINUTES, CHOOSE_A_SESSION_LENGTH, ApplicationStatus
from api.problems import Problem, invalid
from api.schemas import (
    ERRORS,
    BookingIn,
    FreeTimes,
    Instant,
    MentorPage,
    SessionOut,
    Text,
    money,
)
from api.sessions import next_url
from availability.slots import free_slots
from bookings import services
from bookings.representation import session_data
from mentors import selectors
from ops import ratelimit

router = Router(tags=["mentors and booking"])

MENTOR_PAGE_SIZE = 25


class DirectoryQuery(Schema):
    q: Text = Field("", max_length=100, description="Words in the name, headline or skills.")
    skill: Text = Field("", max_length=100)
    page: int = Field(1, ge=1, le=100_000)


def _mentor(profile) -> dict:
    return {
        "id": profile.user_id,
        "name": profile.user.get_full_name(),
        "headline": profile.headline,
        "skills": profile.skill_list,
        "hourly_rate": money(profile.hourly_rate),
        "currency": settings.CURRENCY,
        "default_session_minutes": profile.default_session_minutes,
        "rating": round(profile.rating_avg, 2) if profile.rating_count else None,
        "rating_count": profile.rating_count,
    }


@router.get("/mentors/", response={200: MentorPage, **ERRORS}, summary="The mentor directory")
def list_mentors(request: HttpRequest, query: Query[DirectoryQuery]):
    """Listed mentors, best rated first, 25 a page (`next` names the following page)."""
    found = selectors.directory(selectors.DirectoryFilters(q=query.q, skill=query.skill))
    offset = (query.page - 1) * MENTOR_PAGE_SIZE
    rows = list(found[offset : offset + MENTOR_PAGE_SIZE + 1])
    following = str(query.page + 1) if len(rows) > MENTOR_PAGE_SIZE else ""
    return {
        "results": [_mentor(profile) for profile in rows[:MENTOR_PAGE_SIZE]],
        "next": next_url(request, "page", following),
    }


class FreeTimeQuery(Schema):
    start_after: Instant | None = Field(None, description="Default: now.")
    start_before: Instant | None = Field(None, description="Default: the booking horizon.")
    duration_minutes: int | None = Field(None, description="Default: the mentor's own.")


@router.get(
    "/mentors/{id:id}/free-times", response={200: FreeTimes, **ERRORS}, summary="Free times"
)
def free_times(request: HttpRequest, id: int, query: Query[FreeTimeQuery]):
    """The mentor's free start times for a session of `duration_minutes`, as the booking
    page offers them, within [start_after, start_before) (at most the booking horizon)."""
    profile = selectors.listed_mentor(id)
    if profile is None:
        raise Problem(404, "No such mentor.")
    minutes = query.duration_minutes or profile.default_session_minutes
    if minutes not in BOOKABLE_MINUTES:
        raise invalid("duration_minutes", CHOOSE_A_SESSION_LENGTH)
    now = timezone.now()
    begin = query.start_after or now
    horizon = timedelta(days=settings.BOOKING_HORIZON_DAYS + 1)
    end = query.start_before or now + horizon
    if begin >= end:
        raise invalid("start_before", "start_before must be later than start_after.")
    if end - begin > horizon:
        days = settings.BOOKING_HORIZON_DAYS + 1
        raise invalid("start_before", f"Ask for at most {days} days at a time.")
    length = timedelta(minutes=minutes)
    slots = free_slots(profile.user, duration_minutes=minutes, now=now)
    return {
        "mentor": profile.user_id,
        "duration_minutes": minutes,
        "results": [
            {"start": _utc(slot), "end": _utc(slot + length)}
            for slot in slots
            if begin <= slot < end
        ],
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Refused bookings that are conflicts with what exists (409): the time was taken meanwhile,
# or as many requests as one may have are waiting. Any other refusal is about one field of
# the request (422, on the field the service names).
_CONFLICTS = ("slot_taken", "pending_limit")


@router.post("/bookings", response={201: SessionOut, **ERRORS}, summary="Book a session")
def book(request: HttpRequest, payload: BookingIn):
    """Book one of a mentor's free times as yourself (the mentee): a pending session,
    which an admin confirms. Counts as one of your booking attempts, as the page does."""
    mentor = (
        get_user_model()
        .objects.filter(
            pk=payload.mentor, is_active=True, mentor_profile__status=ApplicationStatus.APPROVED
        )
        .first()
    )
    if mentor is None:
        raise invalid("mentor", "No mentor with this id takes bookings.")
    try:
        services.count_booking_attempt(request.user)
        session = services.book_session(
            mentor, request.user, payload.start, payload.duration_minutes, payload.notes
        )
    except services.TooManyBookingAttempts as refused:
        wait = ratelimit.retry_after_header(refused.retry_after)
        raise Problem(429, str(refused), headers={"Retry-After": wait}) from None
    except services.BookingError as refused:
        if refused.code in _CONFLICTS:
            raise Problem(409, str(refused)) from None
        raise invalid(refused.field, str(refused)) from None
    return Status(201, session_data(session))
