"""Free slots: a mentor's availability minus what is already busy.

A slot is a UTC start instant. Weekly windows and exceptions are wall-clock times in the
mentor's zone, so they are expanded one local date at a time with zoneinfo: a 09:00 window
stays 09:00 local on both sides of a DST change. Within a window, candidate starts sit on a
BOOKING_SLOT_STEP_MINUTES grid aligned to the window start (wall clock); a start that does
not exist that day (the spring-forward gap) is skipped, an ambiguous one (fall-back) is
taken once, at its first occurrence. The whole session must fit before the window ends,
measured in real elapsed time.

Taken away: time off, the mentor's busy intervals, anything earlier than
now + BOOKING_MIN_NOTICE_HOURS, anything later than now + BOOKING_HORIZON_DAYS.

Busy intervals come from the apps that know them, registered with `register_busy_source`
(the bookings app registers its sessions that hold their time): this module does not know
what a session is. One query each for the weekly windows and the exceptions, plus one per
busy source, whatever the range and however many mentors (`first_free_starts` answers for
several at once: the home page's mentors).
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import DEFAULT_SESSION_MINUTES
from availability.models import AvailabilityException, ExceptionKind, WeeklyAvailability

Interval = tuple[datetime, datetime]
# `source(mentor_ids, start, end)`: (mentor id, start, end) of each busy interval of those
# mentors that overlaps [start, end) — one query for any number of mentors.
BusySource = Callable[[Sequence[int], datetime, datetime], Iterable[tuple[int, datetime, datetime]]]
_busy_sources: list[BusySource] = []


def register_busy_source(source: BusySource) -> None:
    """Add a source of busy intervals (from an app's `ready()`; idempotent)."""
    if source not in _busy_sources:
        _busy_sources.append(source)


# --- wall clock → instant ----------------------------------------------------------------


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of `wall` on `day` in `zone`; None if that wall time does not exist
    (skipped by a spring-forward change). An ambiguous time (fall-back) is its first
    occurrence (fold=0)."""
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return instant


def _boundary(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """A window or time-off edge as an instant; an edge inside a DST gap moves to the end of
    the gap (the first wall time that exists), so a window never grows because of it."""
    naive = datetime.combine(day, wall)
    for _ in range(24 * 60):
        instant = local_instant(naive.date(), naive.time(), zone)
        if instant is not None:
            return instant
        naive += timedelta(minutes=1)
    raise ValueError(f"No valid local time near {day} {wall} in {zone}.")  # pragma: no cover


def _grid(
    day: date, start: time, end: time, zone: ZoneInfo, *, step: timedelta, length: timedelta
) -> Iterator[datetime]:
    """Candidate start instants of one window on one local date."""
    window_end = _boundary(day, end, zone)
    wall = datetime.combine(day, start)
    last = datetime.combine(day, end)
    while wall < last:
        instant = local_instant(day, wall.time(), zone)
        if instant is not None and instant + length <= window_end:
            yield instant
        wall += step


# --- blocked time ------------------------------------------------------------------------


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals (so their ends are sorted too, for bisect)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _is_blocked(blocked: list[Interval], ends: list[datetime], start: datetime, end: datetime):
    # The first blocked interval that ends after `start` is the only one that can overlap.
    index = bisect_right(ends, start)
    return index < len(blocked) and blocked[index][0] < end


# --- the computation ---------------------------------------------------------------------


@dataclass
class _Hours:
    """What decides one mentor's free times between two local dates, read from the database
    once and then expanded date by date."""

    zone: ZoneInfo
    first_day: date
    last_day: date
    weekly: dict[int, list[tuple[time, time]]] = field(default_factory=lambda: defaultdict(list))
    extra: dict[date, list[tuple[time, time]]] = field(default_factory=lambda: defaultdict(list))
    days_off: set[date] = field(default_factory=set)
    blocked: list[Interval] = field(default_factory=list)


def _read_hours(
    mentors: Sequence,
    *,
    earliest: datetime,
    busy_until: datetime,
    weekday: int | None = None,
    busy: bool = True,
    moving: Interval | None = None,
) -> dict[int, _Hours]:
    """Each mentor's windows, exceptions and busy intervals from `earliest` on: one query for
    the windows, one for the exceptions and one per busy source, however many mentors.
    `weekday` narrows the windows query when the range is a single local date
    (is_slot_free); busy=False leaves the busy sources out (the times offered when nothing
    is booked); `moving` is a busy interval that does not count (a session being moved
    does not block its own new time)."""
    hours = {
        mentor.pk: _Hours(
            mentor.zone,
            earliest.astimezone(mentor.zone).date(),
            busy_until.astimezone(mentor.zone).date(),
        )
        for mentor in mentors
    }
    ids = list(hours)

    windows = WeeklyAvailability.objects.filter(mentor_id__in=ids)
    if weekday is not None:
        windows = windows.filter(weekday=weekday)
    rows = windows.values_list("mentor_id", "weekday", "start_time", "end_time")
    for mentor_id, day_of_week, start, end in rows:
        hours[mentor_id].weekly[day_of_week].append((start, end))

    exceptions = AvailabilityException.objects.filter(
        mentor_id__in=ids,
        date__gte=min(h.first_day for h in hours.values()),
        date__lte=max(h.last_day for h in hours.values()),
    ).values_list("mentor_id", "date", "kind", "start_time", "end_time")
    for mentor_id, day, kind, start, end in exceptions:
        mentor_hours = hours[mentor_id]
        if not mentor_hours.first_day <= day <= mentor_hours.last_day:
            continue  # another mentor's zone made the query's range wider
        if kind == ExceptionKind.EXTRA:
            mentor_hours.extra[day].append((start, end))
        elif start is None:
            mentor_hours.days_off.add(day)
        else:
            zone = mentor_hours.zone
            mentor_hours.blocked.append((_boundary(day, start, zone), _boundary(day, end, zone)))

    for source in _busy_sources if busy else ():
        for mentor_id, start, end in source(ids, earliest, busy_until):
            if (start, end) != moving:
                hours[mentor_id].blocked.append((start, end))
    return hours


def _free_days(
    hours: _Hours, *, length: timedelta, earliest: datetime, latest: datetime
) -> Iterator[list[datetime]]:
    """The free start instants in [earliest, latest], one local date at a time (dates
    without any left out); ascending within a date and from one date to the next."""
    step = timedelta(minutes=settings.BOOKING_SLOT_STEP_MINUTES)
    blocked = _merge(hours.blocked)
    ends = [end for _, end in blocked]
    day, last_day = earliest.astimezone(hours.zone).date(), latest.astimezone(hours.zone).date()
    while day <= last_day:
        free: set[datetime] = set()
        if day not in hours.days_off:
            for start, end in hours.weekly.get(day.weekday(), []) + hours.extra.get(day, []):
                for instant in _grid(day, start, end, hours.zone, step=step, length=length):
                    if earliest <= instant <= latest and not _is_blocked(
                        blocked, ends, instant, instant + length
                    ):
                        free.add(instant)
        if free:
            yield sorted(free)
        day += timedelta(days=1)


def _free_starts(
    mentor,
    *,
    length: timedelta,
    earliest: datetime,
    latest: datetime,
    weekday: int | None = None,
    busy: bool = True,
    moving: Interval | None = None,
) -> list[datetime]:
    """Free start instants in [earliest, latest] (busy=False: were nothing booked;
    `moving`: an interval of the mentor's that does not count as busy)."""
    (hours,) = _read_hours(
        [mentor],
        earliest=earliest,
        busy_until=latest + length,
        weekday=weekday,
        busy=busy,
        moving=moving,
    ).values()
    free_days = _free_days(hours, length=length, earliest=earliest, latest=latest)
    return [instant for day in free_days for instant in day]


def _limits(now: datetime | None, days: int | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    horizon = settings.BOOKING_HORIZON_DAYS
    if days is not None:
        horizon = max(0, min(days, horizon))
    earliest = now + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)
    return earliest, now + timedelta(days=horizon)


def free_slots(
    mentor,
    *,
    duration_minutes: int,
    now: datetime | None = None,
    days: int | None = None,
    moving: Interval | None = None,
) -> list[datetime]:
    """Every free start instant (aware, UTC, ascending) for a session of `duration_minutes`,
    from now + the minimum notice to now + the horizon (or `days`, if fewer). `moving`: the
    [start, end) of a session being moved, which does not block its own new time (the
    times is_slot_free(moving=…) accepts)."""
    earliest, latest = _limits(now, days)
    if earliest > latest or duration_minutes <= 0:
        return []
    return _free_starts(
        mentor,
        length=timedelta(minutes=duration_minutes),
        earliest=earliest,
        latest=latest,
        moving=moving,
    )


def is_slot_free(
    mentor,
    start: datetime,
    duration_minutes: int,
    *,
    now=None,
    busy: bool = True,
    moving: Interval | None = None,
) -> bool:
    """Whether `start` is one of free_slots() — the same rules, computed for its date only.
    busy=False: whether it would be, were nothing booked (tells a time someone took from
    one that is not offered at all). `moving`: the [start, end) of the session being moved,
    which does not block its own new time."""
    if timezone.is_naive(start):
        raise ValueError("is_slot_free() needs an aware datetime.")
    earliest, latest = _limits(now)
    start = start.astimezone(UTC)
    if duration_minutes <= 0 or not earliest <= start <= latest:
        return False
    local_day = start.astimezone(mentor.zone).date()
    # The whole local date, clipped to the bookable range: the grid depends on the window
    # start, so the date's windows must be expanded from their beginning.
    day_start = max(earliest, _boundary(local_day, time.min, mentor.zone))
    day_end = min(latest, _boundary(local_day + timedelta(days=1), time.min, mentor.zone))
    free = _free_starts(
        mentor,
        length=timedelta(minutes=duration_minutes),
        earliest=day_start,
        latest=min(latest, day_end - timedelta(microseconds=1)),
        weekday=local_day.weekday(),
        busy=busy,
        moving=moving,
    )
    return start in free


def _default_minutes(mentor) -> int:
    profile = getattr(mentor, "mentor_profile", None)
    return profile.default_session_minutes if profile else DEFAULT_SESSION_MINUTES


def next_free_slots(
    mentor, *, limit: int = 6, duration_minutes: int | None = None
) -> list[datetime]:
    """The first `limit` free starts, for the mentor's profile page. The duration defaults
    to the mentor's default session length."""
    if duration_minutes is None:
        duration_minutes = _default_minutes(mentor)
    return free_slots(mentor, duration_minutes=duration_minutes)[:limit]


def first_free_starts(
    mentors: Sequence, *, now: datetime | None = None
) -> dict[int, datetime | None]:
    """Each mentor's first free start for a session of their default length (the first
    time their profile offers), or None: by mentor id, in the same queries for any number
    of mentors. Load the mentors with their `mentor_profile`."""
    earliest, latest = _limits(now)
    if not mentors or earliest > latest:
        return {mentor.pk: None for mentor in mentors}
    lengths = {mentor.pk: timedelta(minutes=_default_minutes(mentor)) for mentor in mentors}
    hours = _read_hours(mentors, earliest=earliest, busy_until=latest + max(lengths.values()))
    starts: dict[int, datetime | None] = {}
    for mentor_id, mentor_hours in hours.items():
        free_days = _free_days(
            mentor_hours, length=lengths[mentor_id], earliest=earliest, latest=latest
        )
        first_day = next(free_days, None)
        starts[mentor_id] = first_day[0] if first_day else None
    return starts
