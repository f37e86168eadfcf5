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

The UNION itself is written here, not by the ORM: the filters already applied to
`requests` are turned into SQL once and repeated in each part. Eight querysets, each
filtered, annotated and compiled, took a third of the page's time, more than PostgreSQL
took to answer. It reads as well on SQLite (each part is a subquery there, which is
what lets it have its own LIMIT).

The cursor holds the last row's full sort key; its first two numbers say which part it
is in. A cursor we did not sign gives the first page.
"""

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper

from requests_app.keyset import BEFORE, Cursor, page_from
from requests_app.models import LANGUAGE_CODES, Request
from volunteers.languages import needs_interpreter

PAGE_SIZE = 25
LIST_NAME = "queue"
WITHIN_A_PART = ("urgency", "created_at", "id")
KEY_COLUMNS = ("in_my_language", "in_my_pods", *WITHIN_A_PART)


def _in(column, values):
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _parts(role, column):
    """(the part's first two sort keys, its SQL condition, the condition's parameters)."""
    mine = [code for code in LANGUAGE_CODES if code in (role.volunteer.languages or ())]
    pods = sorted(role.pod_ids)
    in_my_pods, pod_params = _in(column("pod_id"), pods)
    in_my_languages, language_params = _in(column("language"), mine)
    parts = []
    if pods:
        if mine:
            parts.append(
                ((0, 0), f"{in_my_pods} AND {in_my_languages}", pod_params + language_params)
            )
            parts.append(
                ((1, 0), f"{in_my_pods} AND NOT {in_my_languages}", pod_params + language_params)
            )
        else:
            parts.append(((1, 0), in_my_pods, pod_params))
    for code in LANGUAGE_CODES:
        condition, params = f"{column('language')} = %s", [code]
        if pods:
            condition += f" AND ({column('pod_id')} IS NULL OR NOT {in_my_pods})"
            params += pod_params
        parts.append(((0 if code in mine else 1, 1), condition, params))
    return parts


def _filters_as_sql(requests):
    """The WHERE clause of `requests` (a queryset of requests, filtered on their own
    columns), or None when no row can match."""
    query = requests.query
    if any(uses and alias != query.base_table for alias, uses in query.alias_refcount.items()):
        raise ValueError("The queue's filters must use the request's own columns, no joins.")
    try:
        return query.get_compiler(requests.db).compile(query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "1 = 1", []


def _keys_sql(requests, role, cursor):
    """The UNION of the parts that come at or after the cursor, as (SQL, parameters); or
    None when no row can match."""
    filters = _filters_as_sql(requests)
    if filters is None:
        return None
    where, where_params = filters
    connection = connections[requests.db]
    table = connection.ops.quote_name(Request._meta.db_table)

    def column(name):
        return f"{table}.{connection.ops.quote_name(name)}"

    backwards = cursor is not None and cursor.direction == BEFORE
    direction = " DESC" if backwards else ""
    within = ", ".join(column(name) for name in WITHIN_A_PART)
    selects, params = [], []
    for number, (part, condition, part_params) in enumerate(_parts(role, column)):
        seek, seek_params = "", []
        if cursor is not None:
            where_the_cursor_is = tuple(cursor.values[:2])
            if (part > where_the_cursor_is) if backwards else (part < where_the_cursor_is):
                continue
            if part == where_the_cursor_is:
                seek = f" AND ({within}) {'<' if backwards else '>'} (%s, %s, %s)"
                seek_params = list(cursor.values[2:])
        order_within = ", ".join(f"{column(name)}{direction}" for name in WITHIN_A_PART)
        selects.append(
            f"SELECT * FROM (SELECT {part[0]} AS in_my_language, {part[1]} AS in_my_pods, "
            f"{within} FROM {table} WHERE ({where}) AND ({condition}){seek} "
            f"ORDER BY {order_within} LIMIT {PAGE_SIZE + 1}) AS part{number}"
        )
        params += [*where_params, *part_params, *seek_params]
    if not selects:
        return None
    order_all = ", ".join(f"{position}{direction}" for position in range(1, 6))
    return f"{' UNION ALL '.join(selects)} ORDER BY {order_all} LIMIT {PAGE_SIZE + 1}", params


def queue_page(requests, role, cursor_text):
    """A page of `requests` (already filtered) in the queue's order for this volunteer."""
    cursor = Cursor.decode(cursor_text, LIST_NAME, length=len(KEY_COLUMNS))
    if cursor is not None and not {cursor.values[0], cursor.values[1]} <= {0, 1}:
        cursor = None
    keys_sql = _keys_sql(requests, role, cursor)
    # raw(): the database's values come back as Python's (a time on SQLite, too).
    keys = list(Request.objects.raw(*keys_sql)) if keys_sql else []
    page = page_from(
        keys,
        cursor,
        size=PAGE_SIZE,
        key=lambda row: tuple(getattr(row, name) for name in KEY_COLUMNS),
        list_name=LIST_NAME,
    )
    ids = [row.id for row in page.rows]
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
