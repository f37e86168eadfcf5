"""Who speaks what: which requests need an interpreter, and where.

Answered in SQL, row by row, inside the query that lists the requests: a page of the
queue costs no query more, whatever the number of volunteers and pods."""

from django.db import NotSupportedError
from django.db.models import Exists, F, Lookup, OuterRef, Q

from volunteers.models import Volunteer


class Includes(Lookup):
    """The JSON array on the left (a volunteer's languages) holds the value on the right,
    usually another column. Django's `contains` takes only a constant, and none on SQLite."""

    lookup_name = "includes"
    prepare_rhs = False

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} @> jsonb_build_array({rhs})", params

    def as_sqlite(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = {rhs})", params

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Includes is written for PostgreSQL and SQLite.")


def needs_interpreter():
    """A condition on requests: nobody in the request's pod speaks its language (with no
    pod yet, nobody in the whole network). Use it in filter(), or annotate with it."""
    speakers = Volunteer.objects.approved().filter(Includes(F("languages"), OuterRef("language")))
    return (Q(pod__isnull=True) & ~Exists(speakers)) | (
        Q(pod__isnull=False) & ~Exists(speakers.filter(pods=OuterRef("pod")))
    )


def needs_interpreter_in(languages):
    """Requests in one of `languages` that nobody where they are speaks."""
    return Q(language__in=list(languages)) & needs_interpreter()
