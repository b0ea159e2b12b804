"""Keyset ("cursor") pagination, for lists that grow without bound.

A page never counts or skips the rows before it: "Next" asks for the rows after the last one
shown, which an index on the list's order finds directly, so page 4,000 costs what page 1
costs. The order is `(start, id)`, or `(rank, start, id)` where a list shows some rows first
(the sessions dashboard: pending sessions, `dashboard_rank` 0, before all others); a cursor
carries the rank of its row. Each page is one query, a row-value comparison
`(rank, start, id) > (…)` that both SQLite and PostgreSQL answer with a range of one index.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import F, Model, Q, QuerySet

# Row values ("(a, b) > (x, y)"), as Django's composite primary keys use them. Django's
# own module: when a Django upgrade moves it, tests/common and the query-plan tests fail.
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOKEN = re.compile(r"([0-9])\.(-?[0-9]{1,18})\.([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class Cursor:
    rank: int  # 0 where the list has no ranks
    start: datetime
    id: int

    @property
    def token(self) -> str:
        micros = (self.start - EPOCH) // timedelta(microseconds=1)
        return f"{self.rank}.{micros}.{self.id}"

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
    def of(cls, row: Model, rank: str | None) -> "Cursor":
        return cls(getattr(row, rank) if rank else 0, row.start, row.pk)


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    has_next: bool
    has_previous: bool
    rank: str | None = None  # the rank column the list is ordered by first, if any

    @property
    def next_token(self) -> str:
        return Cursor.of(self.rows[-1], self.rank).token if self.rows and self.has_next else ""

    @property
    def previous_token(self) -> str:
        return Cursor.of(self.rows[0], self.rank).token if self.rows and self.has_previous else ""


def rows_after(queryset: QuerySet, cursor: Cursor) -> QuerySet:
    """The rows after the cursor's in (start, id) order."""
    # `start >= x` first: the range the index scans; the OR only breaks ties within it.
    return queryset.filter(Q(start__gt=cursor.start) | Q(id__gt=cursor.id), start__gte=cursor.start)


def rows_before(queryset: QuerySet, cursor: Cursor) -> QuerySet:
    """The rows before the cursor's in (start, id) order."""
    return queryset.filter(Q(start__lt=cursor.start) | Q(id__lt=cursor.id), start__lte=cursor.start)


def keyset_page(
    queryset: QuerySet,
    *,
    size: int,
    rank: str | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> KeysetPage:
    """`size` rows after `after`, before `before`, or from the start, in `(rank, start, id)`
    order (`(start, id)` without a rank column). One query, whatever the data."""
    key = (rank, "start", "id") if rank else ("start", "id")
    columns = Tuple(*(F(name) for name in key))

    def values(cursor: Cursor) -> tuple:
        return (cursor.rank, cursor.start, cursor.id) if rank else (cursor.start, cursor.id)

    if before is not None:
        newest_first = queryset.filter(TupleLessThan(columns, values(before)))
        rows = list(newest_first.order_by(*(f"-{name}" for name in key))[: size + 1])
        shown = rows[:size][::-1]
        return KeysetPage(shown, has_next=True, has_previous=len(rows) > size, rank=rank)
    if after is not None:
        queryset = queryset.filter(TupleGreaterThan(columns, values(after)))
    rows = list(queryset.order_by(*key)[: size + 1])
    return KeysetPage(rows[:size], len(rows) > size, has_previous=after is not None, rank=rank)
