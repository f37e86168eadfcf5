"""The admin's long lists (requests, the timeline, the audit trail), paged by a cursor.

Django's admin numbers its pages and reads page N with OFFSET: PostgreSQL then reads and
throws away every row before it, so page 750 of the requests took three times as long
as the first. In the list's own order (newest first) these lists page by a signed
cursor instead, "the 100 rows older than this one", straight from the (created, id)
index, as every other list in the app does (requests_app/keyset.py). Sorting by a column
goes back to numbered pages, and so does "Show all" for a short list.

A filter, a search or a sort starts again from the newest rows; a cursor that is
garbled or made for another list is the first page.

What else keeps a long list quick (100,000 requests):
- no facet counts ("Show counts"): one COUNT per choice of every filter over the whole
  table, 1.8 s a page; the reports page has the numbers;
- each row's checkbox written out instead of drawn through the form widget templates,
  which took a fifth of a page of 100 rows;
- a filter with hundreds of choices (pods) as one drop-down in a small form that works
  without JavaScript, instead of hundreds of links each with its own query string.
"""

from urllib.parse import parse_qsl

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.utils.html import format_html
from django.utils.translation import gettext as _

from requests_app.keyset import paginate
from requests_app.localized import translated_name

CURSOR_VAR = "cursor"


class SeekChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Not carried into the search form, the filters or the sort links.
        self.params.pop(CURSOR_VAR, None)
        self.filter_params.pop(CURSOR_VAR, None)

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(CURSOR_VAR, None)
        return lookup_params

    def get_query_string(self, new_params=None, remove=None):
        # Every link but the page links starts again from the newest rows.
        return super().get_query_string({CURSOR_VAR: None, **(new_params or {})}, remove)

    def get_results(self, request):
        super().get_results(request)  # the count, and a page of rows read only if numbered
        self.seek_page = self.previous_url = self.next_url = None
        numbered = ORDER_VAR in self.params or (self.show_all and self.can_show_all)
        if numbered or not self.multi_page:
            return
        self.seek_page = paginate(
            self.queryset,
            request.GET.get(CURSOR_VAR),
            keys=self.model_admin.seek_keys,
            size=self.list_per_page,
            list_name=f"admin:{self.opts.label_lower}",
            descending=True,
        )
        self.result_list = self.seek_page.rows
        if self.seek_page.previous_cursor:
            self.previous_url = self.get_query_string({CURSOR_VAR: self.seek_page.previous_cursor})
        if self.seek_page.next_cursor:
            self.next_url = self.get_query_string({CURSOR_VAR: self.seek_page.next_cursor})


class SeekPaging:
    """For a ModelAdmin listed newest first by `seek_keys` (a date, then the id), with an
    index on those columns in that order."""

    seek_keys = ("created_at", "pk")
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return SeekChangeList

    def action_checkbox(self, obj):
        """The same checkbox as Django's (tested), without a template per row."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


class DropDownFilter(admin.RelatedFieldListFilter):
    """A filter on a related model with a translated name (pods), drawn as one <select>
    and a button, in a GET form that keeps the list's other filters and search as hidden
    fields."""

    template = "admin/drop_down_filter.html"

    def field_choices(self, field, request, model_admin):
        """(id, name) pairs, named and sorted in the reader's language (a name not yet
        translated in English), instead of one object per pod."""
        return list(
            field.related_model._default_manager.complex_filter(field.get_limit_choices_to())
            .annotate(shown=translated_name())
            .order_by("shown", "pk")
            .values_list("pk", "shown")
        )

    def choices(self, changelist):
        everything_else = [self.lookup_kwarg, self.lookup_kwarg_isnull]
        kept = changelist.get_query_string(remove=everything_else)
        options = [(str(pk), label) for pk, label in self.lookup_choices]
        chosen = self.lookup_val[-1] if self.lookup_val else ""
        # An id that is not one of the options (a pod since removed) chooses nothing.
        selected = chosen if chosen in dict(options) else ""
        yield {
            "all": {
                "selected": not chosen and not self.lookup_val_isnull,
                "query_string": kept,
            },
            "empty": self.include_empty_choice
            and {
                "selected": bool(self.lookup_val_isnull),
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg_isnull: "True"}, [self.lookup_kwarg]
                ),
                "display": self.empty_value_display,
            },
            "name": self.lookup_kwarg,
            "kept": parse_qsl(kept.removeprefix("?"), keep_blank_values=True),
            "options": options,
            "selected": selected,
        }
