"""Translated names inside SQL, for queries that sort, group or union by them.

modeltranslation shows `name_<language>`, or the English name where that is empty; the
same rule as an expression lets the database order by the name a reader sees."""

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from modeltranslation.utils import build_localized_fieldname, get_language


def translated_name(relation=""):
    """The name in the current language, as modeltranslation would show it. `relation` is
    a path prefix like "pod__" for a related model's name."""
    field = build_localized_fieldname("name", get_language())
    return Coalesce(
        NullIf(F(f"{relation}{field}"), Value(""), output_field=CharField()),
        F(f"{relation}name_en"),
        output_field=CharField(),
    )
