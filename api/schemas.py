"""What the API reads and writes, as Pydantic models (the OpenAPI document is made from
them). Every text is refused with a message when it holds a NUL or an unpaired surrogate
(neither can be stored), and every instant must carry its UTC offset and lie between the
years 2000 and 2999 (a time at the very edge of the calendar cannot be turned into UTC)."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from common.converters import LARGEST_ID

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


def _bounded(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError("Give an instant between the years 2000 and 2999.")
    return utc


Text = Annotated[str, AfterValidator(_storable)]
Instant = Annotated[AwareDatetime, AfterValidator(_bounded)]
Id = Annotated[int, Field(ge=1, le=LARGEST_ID)]


class Person(Schema):
    id: int
    name: str


class SessionOut(Schema):
    id: int
    status: str
    start: str
    end: str
    duration_minutes: int
    mentor: Person
    mentee: Person
    meeting_link: str | None
    amount: str = Field(examples=["60.00"])
    currency: str
    payment_status: str
    notes: str
    cancellation_reason: str
    created_at: str
    updated_at: str


class SessionPage(Schema):
    results: list[SessionOut]
    next: str | None = Field(description="The next page's absolute URL; null on the last page.")


class MentorOut(Schema):
    id: int = Field(description="The mentor's person id (used to book and for free times).")
    name: str
    headline: str
    skills: list[str]
    hourly_rate: str = Field(examples=["60.00"])
    currency: str
    default_session_minutes: int
    rating: float | None
    rating_count: int


class MentorPage(Schema):
    results: list[MentorOut]
    next: str | None


class FreeTime(Schema):
    start: str
    end: str


class FreeTimes(Schema):
    mentor: int
    duration_minutes: int
    results: list[FreeTime]


class ProblemDetails(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


# The problems every route may answer, for the OpenAPI document.
ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ProblemDetails)


class ConfirmIn(Schema):
    meeting_link: Text | None = Field(
        None,
        max_length=2000,
        description="Blank: an automatic link, where the site makes them; else required.",
        examples=["https://meet.google.com/abc-defg-hij"],
    )


class ChangeLinkIn(Schema):
    meeting_link: Text = Field(max_length=2000, examples=["https://meet.google.com/abc-defg-hij"])


class CancelIn(Schema):
    reason: Text = Field(
        "", max_length=500, description="Required for the session's mentee and mentor."
    )


class RescheduleIn(Schema):
    start: Instant = Field(description="One of the mentor's free times (ISO 8601 with offset).")
    reason: Text = Field("", max_length=500)


class BookingIn(Schema):
    mentor: Id
    start: Instant
    duration_minutes: int = Field(ge=1, le=24 * 60)
    notes: Text = Field("", max_length=2000)


def money(amount: Decimal) -> str:
    return f"{amount:.2f}"
