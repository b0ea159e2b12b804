"""Keyset ("cursor") pagination over `(start, id)`, for lists that grow without bound.

A page never counts or skips the rows before it: "Next" asks for the rows after the last one
shown, which an index on `(start, id)` finds directly, so page 4,000 costs what page 1 costs.
A list may be made of *segments* shown one after the other (the sessions dashboard: pending
sessions first, then all others), each ordered by `(start, id)` and served by its own index;
a cursor names the segment of its row. Each page runs one query per segment from the
cursor's on (forward) or up to it (backward), whatever the data: a constant count.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Model, Q, QuerySet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOKEN = re.compile(r"([0-9])\.(-?[0-9]{1,18})\.([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class Cursor:
    segment: int
    start: datetime
    id: int

    @property
    def token(self) -> str:
        micros = (self.start - EPOCH) // timedelta(microseconds=1)
        return f"{self.segment}.{micros}.{self.id}"

    @classmethod
    def parse(cls, raw: str) -> "Cursor | None":
        """The cursor a token names, or None for anything that is not one."""
        match = TOKEN.fullmatch(raw)
        if not match:
            return None
        try:
            start = EPOCH + timedelta(microseconds=int(match[2]))
        except OverflowError:
            return None
        return cls(int(match[1]), start, int(match[3]))

    @classmethod
    def of(cls, row: Model) -> "Cursor":
        return cls(row.keyset_segment, row.start, row.pk)


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    has_next: bool
    has_previous: bool

    @property
    def next_token(self) -> str:
        return Cursor.of(self.rows[-1]).token if self.rows and self.has_next else ""

    @property
    def previous_token(self) -> str:
        return Cursor.of(self.rows[0]).token if self.rows and self.has_previous else ""


def rows_after(queryset: QuerySet, cursor: Cursor) -> QuerySet:
    """The rows after the cursor's in (start, id) order."""
    # `start >= x` first: the range the index scans; the OR only breaks ties within it.
    return queryset.filter(Q(start__gt=cursor.start) | Q(id__gt=cursor.id), start__gte=cursor.start)


def rows_before(queryset: QuerySet, cursor: Cursor) -> QuerySet:
    """The rows before the cursor's in (start, id) order."""
    return queryset.filter(Q(start__lt=cursor.start) | Q(id__lt=cursor.id), start__lte=cursor.start)


def keyset_page(
    segments: list[QuerySet],
    *,
    size: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> KeysetPage:
    """`size` rows after `after`, before `before`, or from the start. A cursor whose segment
    the list does not have (e.g. a status filter was added since) starts from the top."""
    if before is not None and before.segment < len(segments):
        rows: list = []
        for number in range(before.segment, -1, -1):
            queryset = segments[number]
            if number == before.segment:
                queryset = rows_before(queryset, before)
            rows += _rows(queryset, number, ("-start", "-id"), _wanted(size, rows))
        rows = rows[: size + 1]
        return KeysetPage(rows[:size][::-1], has_next=True, has_previous=len(rows) > size)
    if after is not None and after.segment >= len(segments):
        after = None
    first = after.segment if after else 0
    rows = []
    for number in range(first, len(segments)):
        queryset = segments[number]
        if after is not None and number == after.segment:
            queryset = rows_after(queryset, after)
        rows += _rows(queryset, number, ("start", "id"), _wanted(size, rows))
    return KeysetPage(rows[:size], has_next=len(rows) > size, has_previous=after is not None)


def _wanted(size: int, rows: list) -> int:
    # One row more than the page shows tells whether there is a next page. A segment after a
    # full page is still asked for one row: the same queries whatever the data.
    return max(1, size + 1 - len(rows))


def _rows(segment: QuerySet, number: int, order: tuple[str, str], limit: int) -> list:
    rows = list(segment.order_by(*order)[:limit])
    for row in rows:
        row.keyset_segment = number
    return rows
