"""Bulk loading (demo data, benchmarks): `bulk_insert` stores what `bulk_create` would.

At a million demo sessions `bulk_create` spends most of its time in Python, passing each
value of each row through its field's conversions to build one big statement. On
PostgreSQL `COPY` takes the rows as a stream instead: psycopg converts plain values in C,
and the server inserts rows as they arrive (`seed_demo --sessions 1000000`: 7 min 6 s with
bulk_create, 4 min 36 s with this; docs/benchmarks.md §1).
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import connections, models, router

# Values that each of Django's field classes stores as they are on PostgreSQL: its
# get_db_prep_save returns them unchanged (integers tagged with their column's size, which
# COPY's column list gives anyway), so COPY takes them as they are. Any other value (None
# aside) goes through its field's conversion, as in bulk_create: a naive datetime, a number
# given as text, an IntegerChoices member, a value of a custom field class.


def _text(value) -> bool:
    return isinstance(value, str)  # TextChoices members too: to_python keeps any str


def _whole(value) -> bool:
    return type(value) is int  # not a bool


def _boolean(value) -> bool:
    return type(value) is bool


def _decimal(value) -> bool:
    return type(value) is Decimal and value.is_finite()


def _aware(value) -> bool:
    return type(value) is datetime and value.utcoffset() is not None


_STORED_AS_IS = {
    models.CharField: _text,
    models.EmailField: _text,
    models.URLField: _text,
    models.TextField: _text,
    models.BooleanField: _boolean,
    models.DecimalField: _decimal,
    models.DateTimeField: _aware,
    **dict.fromkeys(
        [
            models.AutoField,
            models.BigAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        ],
        _whole,
    ),
}


def _as_is_test(field):
    column = field.target_field if field.is_relation else field
    return _STORED_AS_IS.get(type(column), lambda value: False)


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> Sequence:
    """Insert `objs`, new objects without ids, with the columns and values
    `model.objects.bulk_create(objs)` would store (defaults, `auto_now` times; no save(), no
    signals), and return them, each with its new id (ids in list order)."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model.objects.using(alias).bulk_create(objs)
    opts = model._meta
    fields = [
        (f, _as_is_test(f)) for f in opts.concrete_fields if not (f.generated or f.primary_key)
    ]

    def stored(field, as_is, obj):
        value = field.pre_save(obj, True)  # fills auto_now and auto_now_add times
        if value is None or as_is(value):
            return value
        return field.get_db_prep_save(value, connection)

    with connection.cursor() as cursor:
        # COPY cannot return the ids it assigns, so take them from the table's own sequence
        # first: the numbers bulk_create would have got, in the same order.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, sorted(cursor.fetchall()), strict=True):
            obj.pk = pk
        table = connection.ops.quote_name(opts.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in [opts.pk, *dict(fields)])
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([obj.pk, *(stored(field, as_is, obj) for field, as_is in fields)])
                obj._state.adding = False
                obj._state.db = alias
    return objs
