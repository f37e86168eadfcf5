"""Translated names and labels, cheaply.

Inside SQL, for queries that sort, group or union by a name: modeltranslation shows
`name_<language>`, or the English name where that is empty; the same rule as an
expression lets the database order by the name a reader sees. In Python, the labels of a
field's choices, looked up without translating every one of them (ChoiceLabels)."""

from functools import cache

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.utils.encoding import force_str
from modeltranslation.utils import build_localized_fieldname, get_language

from waltham_aid.widgets import PlainSelect


def translated_name(relation=""):
    """The name in the current language, as modeltranslation would show it. `relation` is
    a path prefix like "pod__" for a related model's name."""
    field = build_localized_fieldname("name", get_language())
    return Coalesce(
        NullIf(F(f"{relation}{field}"), Value(""), output_field=CharField()),
        F(f"{relation}name_en"),
        output_field=CharField(),
    )


class TranslatedNameChoiceIterator(ModelChoiceIterator):
    """A model's choices as (pk, name in the reader's language) from one query of two
    columns, sorted as the reader reads them. ModelChoiceIterator builds a model instance
    per row: for a network's 500 pods that was 15 ms on every ask form."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from (
            self.queryset.annotate(shown=translated_name())
            .order_by("shown", "pk")
            .values_list("pk", "shown")
        )


class TranslatedNameChoiceField(ModelChoiceField):
    """A ModelChoiceField for a model with a translated `name`, drawn cheaply (see
    TranslatedNameChoiceIterator and waltham_aid.widgets.PlainSelect). The chosen value is
    still checked against the queryset and cleaned to a model instance."""

    iterator = TranslatedNameChoiceIterator
    widget = PlainSelect


class ChoiceLabels:
    """A model mixin: `get_<field>_display()` looks the label up in a table made once per
    field, instead of Django's rebuilding a dict of the field's choices on every call,
    which hashes every translated label and so translates each of them. That was half the
    time of drawing a queue page (three labels a row, 25 rows). Put it before
    `models.Model` in the bases. The label is still translated into the reader's language
    when it is shown."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels_of(field).get(value, value)
        except TypeError:  # an unhashable value, such as a list: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


@cache
def _labels_of(field):
    return dict(field.flatchoices)
