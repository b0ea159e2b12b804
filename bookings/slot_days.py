"""Free times as the pages list them: grouped by day in the viewer's zone, seven days with
free times at a time (the booking page and the reschedule page)."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from django.utils import timezone


@dataclass(frozen=True)
class Day:
    """One day of free slots, in the viewer's time zone."""

    date: date
    instants: list[datetime]

    @cached_property
    def slots(self) -> list[tuple[str, datetime]]:
        """(form value: the UTC instant in ISO 8601, instant), made only for the days a page
        shows (a mentor's horizon holds hundreds of slots; a page, seven days)."""
        return [(instant.isoformat(), instant) for instant in self.instants]


def slots_by_day(slots: list[datetime]) -> list[Day]:
    """Group instants by their date in the active (viewer's) time zone."""
    zone = timezone.get_current_timezone()
    days: dict[date, list[datetime]] = {}
    for slot in slots:
        days.setdefault(slot.astimezone(zone).date(), []).append(slot)
    return [Day(day, instants) for day, instants in days.items()]


DAYS_PER_PAGE = 7


def page_of_days(
    days: list[Day], raw_from, chosen: str
) -> tuple[list[Day], date | None, date | None]:
    """Seven days with free times at a time: from `?from=<date>`, else the page holding the
    chosen slot, else the first. Returns (days, earlier page's date, later page's date)."""
    index = 0
    if chosen:
        index = next((i for i, day in enumerate(days) if any(v == chosen for v, _ in day.slots)), 0)
        index -= index % DAYS_PER_PAGE
    elif raw_from:
        try:
            wanted = date.fromisoformat(str(raw_from)[:10])
        except ValueError:
            wanted = None
        if wanted:
            index = next((i for i, day in enumerate(days) if day.date >= wanted), 0)
    shown = days[index : index + DAYS_PER_PAGE]
    earlier = days[max(index - DAYS_PER_PAGE, 0)].date if index > 0 else None
    later = days[index + DAYS_PER_PAGE].date if index + DAYS_PER_PAGE < len(days) else None
    return shown, earlier, later
