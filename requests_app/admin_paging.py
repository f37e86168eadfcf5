"""The admin's long lists (requests, the timeline, the audit trail), paged by a cursor.

Django's admin numbers its pages and reads page N with OFFSET: PostgreSQL then reads and
throws away every row before it, so page 750 of the requests took three times as long
as the first. In the list's own order (newest first) these lists page by a signed
cursor instead, "the 100 rows older than this one", straight from the (created, id)
index, as every other list in the app does (requests_app/keyset.py). Sorting by a column
goes back to numbered pages, and so does "Show all" for a short list.

A filter, a search or a sort starts again from the newest rows; a cursor that is
garbled or made for another list is the first page.
"""

from django.contrib.admin.views.main import ORDER_VAR, ChangeList

from requests_app.keyset import paginate

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

    def get_changelist(self, request, **kwargs):
        return SeekChangeList
