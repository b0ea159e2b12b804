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

from django.db.models import F, Model, QuerySet

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


def _key(rank: str | None) -> tuple[str, ...]:
    return (rank, "start", "id") if rank else ("start", "id")


def _compare(lookup, cursor: Cursor, rank: str | None):
    columns = Tuple(*(F(name) for name in _key(rank)))
    values = (cursor.rank, cursor.start, cursor.id) if rank else (cursor.start, cursor.id)
    return lookup(columns, values)


def rows_after(queryset: QuerySet, cursor: Cursor, rank: str | None = None) -> QuerySet:
    """The rows after the cursor's in `(rank, start, id)` (or `(start, id)`) order."""
    return queryset.filter(_compare(TupleGreaterThan, cursor, rank))


def rows_before(queryset: QuerySet, cursor: Cursor, rank: str | None = None) -> QuerySet:
    """The rows before the cursor's in `(rank, start, id)` (or `(start, id)`) order."""
    return queryset.filter(_compare(TupleLessThan, cursor, rank))


def keyset_page(
    queryset: QuerySet,
    *,
    size: int,
    rank: str | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
    descending: bool = False,
) -> KeysetPage:
    """`size` rows after `after`, before `before`, or from the start, in `(rank, start, id)`
    order (`(start, id)` without a rank column), or newest first with `descending` ("after"
    is then older). One query, whatever the data."""
    key = _key(rank)
    ascending, newest = list(key), [f"-{name}" for name in key]
    forward, backward = (newest, ascending) if descending else (ascending, newest)
    onward, back = (rows_before, rows_after) if descending else (rows_after, rows_before)
    if before is not None:
        rows = list(back(queryset, before, rank).order_by(*backward)[: size + 1])
        shown = rows[:size][::-1]
        return KeysetPage(shown, has_next=True, has_previous=len(rows) > size, rank=rank)
    if after is not None:
        queryset = onward(queryset, after, rank)
    rows = list(queryset.order_by(*forward)[: size + 1])
    return KeysetPage(rows[:size], len(rows) > size, has_previous=after is not None, rank=rank)
