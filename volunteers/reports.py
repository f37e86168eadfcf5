"""Numbers for coordinators: how the network is doing, whom it is failing. Everything is
aggregated in SQL, in a fixed number of queries, and nothing identifies a neighbor."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.localized import translated_name
from requests_app.models import (
    ACTIVE,
    CLOSED,
    Category,
    Claim,
    Offer,
    Request,
    RequestStatus,
)

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
    """The (lower) median of the annotation `duration`, in one query on any database:
    window functions number the rows in order and count them, and only the middle row
    comes back."""
    ranked = queryset.annotate(
        position=Window(RowNumber(), order_by=F("duration").asc()),
        rows=Window(Count("*")),
    )
    middle = ranked.filter(position=(F("rows") + 1) / 2).values_list("duration", flat=True)
    return next(iter(middle), None)


def build_report(*, weeks, stale_days, now=None):
    """Every number in five queries: requests by week, status, language and need; the
    two medians; open requests per pod; available offers per need."""
    now = now or timezone.now()
    since = now - timedelta(weeks=weeks)
    created = Request.objects.filter(created_at__gte=since)
    report = {"weeks": weeks, "stale_days": stale_days}

    counted = list(
        created.annotate(week=TruncWeek("created_at"))
        .values("week", "status", "language", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_week = {}
    for row in counted:
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

    totals = {
        "total": sum(row["n"] for row in counted),
        "closed": sum(row["n"] for row in counted if row["status"] in CLOSED),
        "helped": sum(row["n"] for row in counted if row["status"] in HELPED),
    }
    report["totals"] = totals
    report["share_with_outcome"] = (
        round(100 * totals["closed"] / totals["total"]) if totals["total"] else None
    )

    # Each request's first claim: a claim with no earlier one on the same request. An
    # anti-join over the claims, not a subquery for every request of the period (that
    # took 760 ms for 100,000 requests).
    earlier = Claim.objects.filter(request=OuterRef("request")).filter(
        Q(claimed_at__lt=OuterRef("claimed_at"))
        | Q(claimed_at=OuterRef("claimed_at"), pk__lt=OuterRef("pk"))
    )
    first_claims = (
        Claim.objects.filter(request__created_at__gte=since)
        .exclude(Exists(earlier))
        .annotate(
            duration=ExpressionWrapper(
                F("claimed_at") - F("request__created_at"), output_field=DurationField()
            )
        )
    )
    report["median_to_claim"] = _median(first_claims)
    outcomes = created.filter(status__in=CLOSED).annotate(
        duration=ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    )
    report["median_to_outcome"] = _median(outcomes)

    stale = now - timedelta(days=stale_days)
    per_pod = (
        Request.objects.filter(status__in=ACTIVE)
        .values("pod", name=translated_name("pod__"))
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
            (row["name"] if row["pod"] is not None else _("No pod yet"), row["fresh"], row["stale"])
            for row in per_pod
        ],
    )

    languages = dict(settings.LANGUAGES)
    by_language = {}
    for row in counted:
        # Helped, another outcome, still open.
        column = 0 if row["status"] in HELPED else 1 if row["status"] in CLOSED else 2
        by_language.setdefault(row["language"], [0, 0, 0])[column] += row["n"]
    report["by_language"] = Table(
        "by_language",
        _("Requests by language, and how they ended"),
        [_("Language"), _("Helped"), _("Other outcome"), _("Still open")],
        [(languages.get(code, code), *counts) for code, counts in sorted(by_language.items())],
    )

    def count_of(rows):
        return Coalesce(
            Subquery(
                rows.filter(category=OuterRef("pk"))
                .order_by()
                .values("category")
                .annotate(n=Count("id"))
                .values("n")
            ),
            0,
        )

    # Requests per need come from the weekly counts above; only the offers are counted here.
    asked = {}
    for row in counted:
        asked[row["category"]] = asked.get(row["category"], 0) + row["n"]
    needs = list(
        Category.objects.annotate(offered=count_of(Offer.objects.available()))
        .filter(Q(pk__in=list(asked)) | Q(offered__gt=0))
        .order_by()
    )
    for need in needs:
        need.asked = asked.get(need.pk, 0)
    report["by_need"] = Table(
        "by_need",
        _("Requests by need"),
        [_("Need"), _("Requests")],
        sorted(
            ((need.name, need.asked) for need in needs if need.asked),
            key=lambda row: -row[1],
        ),
    )
    report["offers_vs_requests"] = Table(
        "offers_vs_requests",
        _("Available offers against requests, by need"),
        [_("Need"), _("Requests"), _("Available offers")],
        sorted(
            ((need.name, need.asked, need.offered) for need in needs),
            key=lambda row: row[0],
        ),
    )
    return report


def _label(group):
    return _("Still open") if group == "active" else RequestStatus(group).label


TABLES = ["weekly", "per_pod", "by_language", "by_need", "offers_vs_requests"]
