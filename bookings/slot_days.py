"""Free times as the pages list them: grouped by day in the viewer's zone, seven days with
free times at a time (the booking page and the reschedule page)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone


@dataclass(frozen=True)
class Day:
    """One day of free slots, in the viewer's time zone."""

    date: date
    slots: list[tuple[str, datetime]]  # (form value: the UTC instant in ISO 8601, instant)


def slots_by_day(slots: list[datetime]) -> list[Day]:
    """Group instants by their date in the active (viewer's) time zone."""
    days: dict[date, list[tuple[str, datetime]]] = {}
    for slot in slots:
        days.setdefault(timezone.localdate(slot), []).append((slot.isoformat(), slot))
    return [Day(day, day_slots) for day, day_slots in days.items()]


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
