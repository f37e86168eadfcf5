"""Keep as little as we can, for as short as we can.

A neighbor's contact details (and what people wrote about their finished requests) are
erased RETENTION_DAYS after their last request or offer ended, once nothing of theirs is
still under way. A neighbor who deleted their details while help was under way kept what
was written about that help, or nobody could have done it: it goes the same way, once
that help has finished. RETENTION_NOTICE_DAYS before, coordinators get one digest email listing
who will be erased and when; a coordinator may keep a record longer only by giving a
reason in the admin (Neighbor: "keep contact details until"), which goes on the audit
trail. Run daily or more often by `manage.py run_followups`; running twice does nothing
twice.

The same run forgets what has expired: sessions past their end (Django keeps them until
asked), and the abuse counters of connections and status pages that have been quiet for
longer than the longest limit (a full counter is the same as none).
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from importlib import import_module

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from requests_app.antispam import forget_full_buckets
from requests_app.models import ACTIVE, Neighbor, Offer, OfferStatus, Request
from requests_app.services import (
    erase_neighbor_contact_details,
    erase_words_kept_after_erasure,
    lock_records,
)
from volunteers.followups import active_coordinators, email_staff

logger = logging.getLogger(__name__)


def _latest(queryset, field_name):
    return Subquery(
        queryset.filter(neighbor=OuterRef("pk"))
        .order_by()
        .values("neighbor")
        .annotate(latest=Max(field_name))
        .values("latest")[:1]
    )


def neighbors_with_nothing_under_way(today):
    """Details still held, no request open, no offer still standing; with when their
    last request closed and their last offer ended (read by erasure_date)."""
    return _nothing_under_way(Neighbor.objects.filter(contact_erased_at__isnull=True), today)


def erased_with_words_kept(today):
    """Records whose details were erased while some of their help was under way, which
    has finished since: what people wrote about it is still there
    (Request.objects.words_kept_after_erasure). Nothing of theirs is under way now; read
    by erasure_date like the others, so it goes as long after as anyone's."""
    kept = Request.objects.words_kept_after_erasure().filter(neighbor=OuterRef("pk"))
    return _nothing_under_way(
        Neighbor.objects.filter(contact_erased_at__isnull=False).filter(Exists(kept)), today
    )


def _nothing_under_way(neighbors, today):
    requests = Request.objects.all()
    offers = Offer.objects.all()
    standing_offer = offers.standing(today).filter(neighbor=OuterRef("pk"))
    return (
        neighbors.exclude(Exists(requests.filter(neighbor=OuterRef("pk"), status__in=ACTIVE)))
        .exclude(Exists(standing_offer))
        .annotate(
            last_request_closed=_latest(requests, "closed_at"),
            last_offer_ended=_latest(offers.filter(status=OfferStatus.FINISHED), "ended_at"),
            last_offer_until=_latest(offers.exclude(status=OfferStatus.FINISHED), "until"),
        )
        .order_by("pk")
    )


def erasure_date(neighbor):
    """The day this neighbor's details go: RETENTION_DAYS after the last thing ended, or
    later when a coordinator chose to keep them."""
    ends = [at for at in (neighbor.last_request_closed, neighbor.last_offer_ended) if at]
    if neighbor.last_offer_until:
        ends.append(timezone.make_aware(datetime.combine(neighbor.last_offer_until, time.max)))
    # Nothing ever asked or offered (a record made by hand): counted from when it was made.
    last = max(ends, default=neighbor.created_at)
    due = timezone.localdate(last) + timedelta(days=settings.RETENTION_DAYS)
    if neighbor.keep_until and neighbor.keep_until > due:
        return neighbor.keep_until
    return due


@dataclass
class RetentionRun:
    erased: int = 0
    noticed: list = field(default_factory=list)
    done: Counter = field(default_factory=Counter)


def run_retention(*, now=None, progress=lambda rows: rows):
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = RetentionRun()
    notice_until = today + timedelta(days=settings.RETENTION_NOTICE_DAYS)
    records = [*neighbors_with_nothing_under_way(today), *erased_with_words_kept(today)]
    for neighbor in progress(records):
        due = erasure_date(neighbor)
        erased_before = neighbor.contact_erased_at is not None
        if due <= today:
            try:
                if erased_before:
                    run.done["words_erased"] += _erase_words_if_still_due(neighbor.pk, today)
                else:
                    run.erased += _erase_if_still_due(neighbor.pk, today)
            except OperationalError:  # a lock conflict with someone's change: next run
                logger.warning(
                    "Neighbor %s not erased this run (busy); retried next run", neighbor.pk
                )
                run.done["erase_retries"] += 1
        elif not erased_before and due <= notice_until and neighbor.erasure_notice_for != due:
            run.noticed.append((neighbor, due))
    if run.noticed:
        coordinators = active_coordinators()
        for user in coordinators:
            try:
                send_retention_digest(user, run.noticed)
            except Exception:
                logger.exception("Could not send the retention digest to user %s", user.pk)
                run.done["email_failures"] += 1
            else:
                run.done["emails"] += 1
        # Told once per date: a later run says nothing more unless the date moves.
        by_date = defaultdict(list)
        for neighbor, due in run.noticed:
            by_date[due].append(neighbor.pk)
        for due, told in by_date.items():  # one UPDATE per erasure date, a week at most
            Neighbor.objects.filter(pk__in=told).update(erasure_notice_for=due)
    run.done["erased"] = run.erased
    run.done["noticed"] = len(run.noticed)
    run.done["counters_forgotten"] = forget_expired(now)
    return run


@transaction.atomic
def _erase_if_still_due(pk, today):
    """Erase a record found due, if it still is once locked: since the list was read, a
    neighbor may have asked again, or a coordinator joined the record into another (or
    kept it longer). Returns 1 if it was erased."""
    if not lock_records([pk]):
        return 0
    # Read again after the lock, in a statement of its own, to see what committed since.
    neighbor = neighbors_with_nothing_under_way(today).filter(pk=pk).first()
    if neighbor is None or erasure_date(neighbor) > today:
        return 0
    erase_neighbor_contact_details(
        neighbor, why=f"{settings.RETENTION_DAYS} days after the last request ended"
    )
    return 1


@transaction.atomic
def _erase_words_if_still_due(pk, today):
    """_erase_if_still_due, for what was kept of a record erased before: returns how many
    requests lost their words."""
    if not lock_records([pk]):
        return 0
    neighbor = erased_with_words_kept(today).filter(pk=pk).first()
    if neighbor is None or erasure_date(neighbor) > today:
        return 0
    return erase_words_kept_after_erasure(
        neighbor, why=f"{settings.RETENTION_DAYS} days after the last request ended"
    )


def forget_expired(now):
    """Expired sessions and full rate-limit counters; returns how many counters went."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return forget_full_buckets(now=now.timestamp())


def send_retention_digest(user, noticed):
    """Which records lose their contact details soon, by record number only: the email
    itself carries no name, phone or address."""
    email_staff(
        user,
        "volunteers/email/retention",
        lambda: {
            "days": settings.RETENTION_DAYS,
            "items": [
                {
                    "neighbor_id": neighbor.pk,
                    "due": due,
                    "url": settings.SITE_URL
                    + reverse("admin:requests_app_neighbor_change", args=[neighbor.pk]),
                }
                for neighbor, due in noticed
            ],
        },
    )
