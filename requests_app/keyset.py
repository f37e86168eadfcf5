"""Keyset (seek) pagination: "the 25 rows after this one", never "skip 75,000 rows".

A page is found from the last row shown, with a row-value comparison that PostgreSQL
answers straight from a composite index:

    WHERE (urgency, created_at, id) > (2, '2026-03-01 09:00', 4711)
    ORDER BY urgency, created_at, id LIMIT 26

The same condition written `urgency > 2 OR (urgency = 2 AND ...)` cannot use the index
that way; the row comparison can, on PostgreSQL and SQLite alike. One row more than the
page is read to know whether there is a next page, so there is no COUNT(*).

Cursors are opaque to the reader and signed: a page link carries the sort key of its
first or last row. A cursor that was garbled, tampered with or made for another list
reads as no cursor at all, which is the first page.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core import signing
from django.db.models import F, Field, Func, Value
from django.db.models.lookups import GreaterThan, LessThan

AFTER = "a"
BEFORE = "b"


class Row(Func):
    """An SQL row value, `(a, b, c)`, to compare with another one. Only ever compared,
    never selected, so its own type does not matter."""

    template = "(%(expressions)s)"
    output_field = Field()


def seek(keys, values, direction=AFTER, *, descending=False):
    """The condition "after (or before) this row" in the order of `keys`, all ascending
    (or all descending)."""
    lookup = GreaterThan if (direction == AFTER) != descending else LessThan
    return lookup(Row(*(F(key) for key in keys)), Row(*(Value(value) for value in values)))


def order(keys, *, descending=False):
    return [f"-{key}" if descending else key for key in keys]


def _dump(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _load(value):
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return date.fromisoformat(value["d"])
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(value)
    return value


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or before) the row whose sort key is `values`."""

    direction: str
    values: tuple

    def encode(self, list_name):
        payload = {"d": self.direction, "k": [_dump(value) for value in self.values]}
        return signing.dumps(payload, salt=f"keyset:{list_name}")

    @classmethod
    def decode(cls, text, list_name, *, length):
        """The cursor in `text`, or None for anything we did not sign for this list."""
        if not text:
            return None
        try:
            payload = signing.loads(text, salt=f"keyset:{list_name}")
            direction, values = payload["d"], tuple(_load(value) for value in payload["k"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None
        if direction not in (AFTER, BEFORE) or len(values) != length:
            return None
        return cls(direction, values)


@dataclass
class Page:
    """One page of rows, with the cursors of the pages next to it (None at either end)."""

    rows: list
    next_cursor: str | None = None
    previous_cursor: str | None = None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def has_other_pages(self):
        return bool(self.next_cursor or self.previous_cursor)


def key_of(row, keys):
    return tuple(row.pk if key == "pk" else getattr(row, key) for key in keys)


def page_from(rows, cursor, *, size, key, list_name):
    """Make a Page from up to size + 1 rows read in the cursor's direction: the extra row
    only says that there is more that way. `key(row)` gives a row's sort key."""
    more = len(rows) > size
    rows = rows[:size]
    backwards = cursor is not None and cursor.direction == BEFORE
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = (more if backwards else True) if cursor is not None else False
    if not rows:
        return Page(rows)
    return Page(
        rows,
        next_cursor=Cursor(AFTER, key(rows[-1])).encode(list_name) if has_next else None,
        previous_cursor=Cursor(BEFORE, key(rows[0])).encode(list_name) if has_previous else None,
    )


def paginate(queryset, cursor_text, *, keys, size, list_name, descending=False):
    """One page of `queryset` in the order of `keys` (fields or annotations, never null,
    the last one unique), ascending or all descending, from the cursor in `cursor_text`."""
    cursor = Cursor.decode(cursor_text, list_name, length=len(keys))
    rows = queryset
    if cursor is not None:
        rows = rows.filter(seek(keys, cursor.values, cursor.direction, descending=descending))
    backwards = cursor is not None and cursor.direction == BEFORE
    rows = rows.order_by(*order(keys, descending=descending != backwards))
    return page_from(
        list(rows[: size + 1]),
        cursor,
        size=size,
        key=lambda row: key_of(row, keys),
        list_name=list_name,
    )
