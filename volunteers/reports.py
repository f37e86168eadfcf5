"""Numbers for coordinators: how the network is doing, whom it is failing. Everything is
aggregated in SQL, in a fixed number of queries, and nothing identifies a neighbor."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import (
    ACTIVE,
    CLOSED,
    Category,
    Offer,
    Request,
    RequestStatus,
)
from volunteers.models import Pod

# The weekly chart groups statuses into these, in this order (still open last).
OUTCOME_GROUPS = [
    (RequestStatus.FULFILLED, [RequestStatus.FULFILLED]),
    (RequestStatus.DONE_BY_OTHERS, [RequestStatus.DONE_BY_OTHERS]),
    (RequestStatus.COULD_NOT_HELP, [RequestStatus.COULD_NOT_HELP]),
    (RequestStatus.WITHDRAWN, [RequestStatus.WITHDRAWN]),
    (RequestStatus.UNREACHABLE, [RequestStatus.UNREACHABLE]),
    (RequestStatus.DUPLICATE, [RequestStatus.DUPLICATE]),
    ("active", list(ACTIVE)),
]
HELPED = [RequestStatus.FULFILLED, RequestStatus.DONE_BY_OTHERS]


@dataclass
class Table:
    """A chart's numbers: rows of (label, value, value, ...) under named columns."""

    slug: str
    title: str
    columns: list
    rows: list = field(default_factory=list)

    @property
    def height_em(self):
        return 1.5 * len(self.rows)

    @property
    def peak(self):
        return max((sum(row[1:]) for row in self.rows), default=0) or 1

    def bars(self):
        """Each row with its values as widths in percent of the largest row, for SVG."""
        peak = self.peak
        for row in self.rows:
            start = 0.0
            segments = []
            for index, value in enumerate(row[1:]):
                width = 100.0 * value / peak
                segments.append({"index": index, "x": start, "width": width, "value": value})
                start += width
            yield {"label": row[0], "segments": segments, "total": sum(row[1:])}


def _median(queryset):
    """The (lower) median of the annotation `duration`, in SQL on any database: a count,
    then the one row in the middle."""
    count = queryset.count()
    if not count:
        return None
    return queryset.order_by("duration").values_list("duration", flat=True)[(count - 1) // 2]


def build_report(*, weeks, stale_days, now=None):
    now = now or timezone.now()
    since = now - timedelta(weeks=weeks)
    created = Request.objects.filter(created_at__gte=since)
    report = {"weeks": weeks, "stale_days": stale_days}

    weekly = (
        created.annotate(week=TruncWeek("created_at"))
        .values("week", "status")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    by_week = {}
    for row in weekly:
        counts = by_week.setdefault(row["week"].date(), [0] * len(OUTCOME_GROUPS))
        for index, (_group, statuses) in enumerate(OUTCOME_GROUPS):
            if row["status"] in statuses:
                counts[index] += row["n"]
    report["weekly"] = Table(
        "weekly",
        _("Requests per week, by outcome"),
        [_("Week"), *(_label(group) for group, _statuses in OUTCOME_GROUPS)],
        [(week, *counts) for week, counts in sorted(by_week.items())],
    )

    totals = created.aggregate(
        total=Count("id"),
        closed=Count("id", filter=Q(status__in=CLOSED)),
        helped=Count("id", filter=Q(status__in=HELPED)),
    )
    report["totals"] = totals
    report["share_with_outcome"] = (
        round(100 * totals["closed"] / totals["total"]) if totals["total"] else None
    )

    first_claims = (
        created.annotate(first_claim=Min("claims__claimed_at"))
        .filter(first_claim__isnull=False)
        .annotate(
            duration=ExpressionWrapper(
                F("first_claim") - F("created_at"), output_field=DurationField()
            )
        )
    )
    report["median_to_claim"] = _median(first_claims)
    outcomes = created.filter(status__in=CLOSED).annotate(
        duration=ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    )
    report["median_to_outcome"] = _median(outcomes)

    pod_names = dict(Pod.objects.values_list("pk", "name"))
    stale = now - timedelta(days=stale_days)
    per_pod = (
        Request.objects.filter(status__in=ACTIVE)
        .values("pod")
        .annotate(
            fresh=Count("id", filter=Q(created_at__gte=stale)),
            stale=Count("id", filter=Q(created_at__lt=stale)),
        )
        .order_by("-stale", "-fresh")
    )
    report["per_pod"] = Table(
        "per_pod",
        _("Open requests per pod, and how many are stale"),
        [_("Pod"), _("Open"), _("Stale")],
        [
            (pod_names.get(row["pod"], _("No pod yet")), row["fresh"], row["stale"])
            for row in per_pod
        ],
    )

    languages = dict(settings.LANGUAGES)
    by_language = (
        created.values("language")
        .annotate(
            helped=Count("id", filter=Q(status__in=HELPED)),
            other_outcome=Count("id", filter=Q(status__in=CLOSED) & ~Q(status__in=HELPED)),
            active=Count("id", filter=Q(status__in=ACTIVE)),
        )
        .order_by("language")
    )
    report["by_language"] = Table(
        "by_language",
        _("Requests by language, and how they ended"),
        [_("Language"), _("Helped"), _("Other outcome"), _("Still open")],
        [
            (
                languages.get(row["language"], row["language"]),
                row["helped"],
                row["other_outcome"],
                row["active"],
            )
            for row in by_language
        ],
    )

    categories = {category.pk: category.name for category in Category.objects.all()}
    requests_by_need = dict(created.values_list("category").annotate(n=Count("id")).order_by())
    report["by_need"] = Table(
        "by_need",
        _("Requests by need"),
        [_("Need"), _("Requests")],
        sorted(
            ((categories[pk], n) for pk, n in requests_by_need.items()),
            key=lambda row: -row[1],
        ),
    )
    offers_by_need = dict(
        Offer.objects.available().values_list("category").annotate(n=Count("id")).order_by()
    )
    needs = sorted(set(requests_by_need) | set(offers_by_need), key=lambda pk: categories[pk])
    report["offers_vs_requests"] = Table(
        "offers_vs_requests",
        _("Available offers against requests, by need"),
        [_("Need"), _("Requests"), _("Available offers")],
        [(categories[pk], requests_by_need.get(pk, 0), offers_by_need.get(pk, 0)) for pk in needs],
    )
    return report


def _label(group):
    return _("Still open") if group == "active" else RequestStatus(group).label


TABLES = ["weekly", "per_pod", "by_language", "by_need", "offers_vs_requests"]
