"""CSV exports of requests for coordinators.

Without contact details for anyone holding export_requests. With contact details only
for those holding export_contact_details, the most dangerous file this app can make:
each exported request gets an event saying who exported it and when."""

import csv
import logging

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from requests_app.models import AuditAction, AuditEntry, Event, EventKind
from waltham_aid.logs import person

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

logger = logging.getLogger(__name__)


def safe_cell(value):
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def _rows(requests, with_contact):
    header = [
        _("Reference"),
        _("Created"),
        _("Status"),
        _("Need"),
        _("Pod"),
        _("How soon"),
        _("Language"),
        _("Channel"),
        _("Closed"),
    ]
    if with_contact:
        header += [_("Name"), _("Phone"), _("Email"), _("Address"), _("Details"), _("Outcome note")]
    yield header
    for aid_request in requests:
        row = [
            aid_request.reference,
            aid_request.created_at.isoformat(timespec="minutes"),
            aid_request.get_status_display(),
            aid_request.category.name,
            aid_request.pod.name if aid_request.pod else "",
            aid_request.get_urgency_display(),
            aid_request.language,
            aid_request.get_channel_display(),
            aid_request.closed_at.isoformat(timespec="minutes") if aid_request.closed_at else "",
        ]
        if with_contact:
            neighbor = aid_request.neighbor
            row += [
                neighbor.name,
                neighbor.phone,
                neighbor.email,
                neighbor.address,
                aid_request.details,
                aid_request.outcome_note,
            ]
        yield [safe_cell(value) for value in row]


def export_requests(queryset, *, user, with_contact):
    requests = queryset.select_related("category", "pod", "neighbor").order_by("created_at", "pk")
    if with_contact:
        requests = list(requests)
        Event.objects.bulk_create(
            Event(request=aid_request, kind=EventKind.CONTACT_EXPORTED, actor=user)
            for aid_request in requests
        )
        AuditEntry.objects.record(
            AuditAction.CONTACT_EXPORTED, by=user, detail=f"{len(requests)} requests"
        )
        logger.info("%s requests exported WITH contact details by %s", len(requests), person(user))
    else:
        count = queryset.count()
        AuditEntry.objects.record(AuditAction.EXPORTED, by=user, detail=f"{count} requests")
        logger.info("%s requests exported without contact details by %s", count, person(user))
        requests = requests.iterator(chunk_size=2000)
    writer = csv.writer(_Echo())
    # The rows are written after this view returns: keep the language it was asked in.
    language = translation.get_language()

    def lines():
        with translation.override(language):
            for row in _rows(requests, with_contact):
                yield writer.writerow(row)

    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    name = f"requests-with-contacts-{stamp}.csv" if with_contact else f"requests-{stamp}.csv"
    response = StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
