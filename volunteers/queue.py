"""The volunteers' queue, one page at a time, as fast 75,000 rows deep as on top.

The order is: a language I speak first, then my pods, then the most urgent, then the
oldest (then the id, so no two rows tie). Its first two keys are 0 or 1 *for this
volunteer*, so no index can hold the whole order, and a row comparison over them,
`(in_my_language, in_my_pods, urgency, created_at, id) > (...)`, would make PostgreSQL
read and sort every open request on every page (80,000 of them in a crisis month).

So the queue is cut into parts that each have one value of those two keys and can be
read in (urgency, created_at, id) order straight from a partial index:

- my pods, in a language I speak: the pod index (`request_open_by_pod`);
- my pods, in another language: the pod index;
- elsewhere, one part per language: the language index (`request_open_by_language`).
  Splitting by language (there are six) lets each part be read in index order even
  when I speak several.

Each part gives at most one page plus one row: after the cursor's own part, with the
index-friendly seek `(urgency, created_at, id) > (%s, %s, %s)`, and from the start for
the parts that come after it. The page is the first rows of those few dozen, in the full
order. One SQL statement, a handful of short index range scans, whatever the depth.

The UNION reads only the sort keys. The page's 25 requests, with their need, pod,
helper's name and whether they need an interpreter, come in a second query by id (none
when the page is empty): built into each of the parts, those columns and subqueries made
Python spend longer writing the SQL than PostgreSQL spent answering it.

The cursor holds the last row's full sort key; its first two numbers say which part it
is in. A cursor we did not sign gives the first page.
"""

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, Value

from requests_app.keyset import BEFORE, Cursor, order, page_from, seek
from requests_app.models import LANGUAGE_CODES, Request
from volunteers.languages import needs_interpreter

PAGE_SIZE = 25
LIST_NAME = "queue"
WITHIN_A_PART = ("urgency", "created_at", "pk")
KEY_COLUMNS = ("in_my_language", "in_my_pods", "urgency", "created_at", "id")


def _parts(role):
    """(the part's first two sort keys, the condition that selects it)."""
    mine = [code for code in LANGUAGE_CODES if code in (role.volunteer.languages or ())]
    pods = sorted(role.pod_ids)
    parts = []
    if pods:
        if mine:
            parts.append(((0, 0), Q(pod__in=pods, language__in=mine)))
        parts.append(((1, 0), Q(pod__in=pods) & ~Q(language__in=mine)))
    elsewhere = ~Q(pod__in=pods) if pods else Q()
    for code in LANGUAGE_CODES:
        parts.append(((0 if code in mine else 1, 1), Q(language=code) & elsewhere))
    return parts


def _keys(rows, part):
    """The sort keys of a part's rows, with the part's first two as constants."""
    return rows.annotate(in_my_language=Value(part[0]), in_my_pods=Value(part[1])).values_list(
        *KEY_COLUMNS
    )


def queue_page(requests, role, cursor_text):
    """A page of `requests` (already filtered) in the queue's order for this volunteer."""
    cursor = Cursor.decode(cursor_text, LIST_NAME, length=len(KEY_COLUMNS))
    if cursor is not None and not {cursor.values[0], cursor.values[1]} <= {0, 1}:
        cursor = None
    backwards = cursor is not None and cursor.direction == BEFORE
    within = order(WITHIN_A_PART, descending=backwards)
    pieces = []
    for part, condition in _parts(role):
        rows = requests.filter(condition)
        if cursor is not None:
            where = tuple(cursor.values[:2])
            if (part < where) if not backwards else (part > where):
                continue
            if part == where:
                rows = rows.filter(seek(WITHIN_A_PART, cursor.values[2:], cursor.direction))
        pieces.append((part, rows))
    if len(pieces) == 1:
        part, rows = pieces[0]
        keys = _keys(rows, part).order_by(*within)
    elif pieces:
        if connection.features.supports_slicing_ordering_in_compound:
            # PostgreSQL: each part's first rows straight from its index.
            parts = [_keys(rows, part).order_by(*within)[: PAGE_SIZE + 1] for part, rows in pieces]
        else:
            # SQLite allows no LIMIT in the parts of a UNION: the same rows, by their ids.
            parts = [
                _keys(
                    Request.objects.filter(
                        pk__in=rows.order_by(*within).values("pk")[: PAGE_SIZE + 1]
                    ),
                    part,
                )
                for part, rows in pieces
            ]
        keys = (
            parts[0].union(*parts[1:], all=True).order_by(*order(KEY_COLUMNS, descending=backwards))
        )
    else:
        keys = Request.objects.none().values_list(*KEY_COLUMNS)
    page = page_from(
        list(keys[: PAGE_SIZE + 1]),
        cursor,
        size=PAGE_SIZE,
        key=tuple,
        list_name=LIST_NAME,
    )
    ids = [key[-1] for key in page.rows]
    found = (
        Request.objects.filter(pk__in=ids)
        .for_queue()
        .annotate(
            needs_interpreter=ExpressionWrapper(needs_interpreter(), output_field=BooleanField())
        )
    )
    by_id = {row.pk: row for row in found}
    # A request gone between the two queries (merged as a duplicate, say) is left out.
    page.rows = [by_id[pk] for pk in ids if pk in by_id]
    return page
