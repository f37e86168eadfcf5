"""Finishing what we start: the follow-up engine behind `manage.py run_followups`.

Every notice is recorded once on the request's timeline (an event with its `notice` code)
and that record is what makes a second run do nothing twice. Each recipient gets at most
one email per run: a digest of everything that needs them."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from requests_app.models import Event, EventKind, Notice, Request, RequestStatus
from volunteers.access import COORDINATOR_GROUP

# Activity that shows someone is working on a request (not our own reminders or looks).
WORK = ~Q(events__kind__in=[EventKind.REMINDER_SENT, EventKind.CONTACT_VIEWED])

WHY = {
    Notice.NEW_TO_POINT_PEOPLE: _("New for more than a day: please triage it."),
    Notice.NEW_TO_COORDINATORS: _("New for more than two days: nobody has triaged it yet."),
    Notice.CLAIM_REMINDER: _(
        "You took this request six days ago and nothing has happened since. Can you finish it, or release it?"
    ),
    Notice.CLAIM_RELEASED: _("Released back to the pod after nine days without activity."),
    Notice.MESSAGE_UNANSWERED: _("The neighbor wrote a day ago and nobody has answered."),
}


@dataclass
class Run:
    now: object
    digests: dict = field(default_factory=lambda: defaultdict(list))
    done: Counter = field(default_factory=Counter)

    def tell(self, users, aid_request, notice):
        for user in users:
            if user.is_active and user.email:
                self.digests[user].append((aid_request, notice))


def _already(notice, since):
    """No event with this notice for this request since `since`."""
    return Exists(
        Event.objects.filter(request=OuterRef("pk"), notice=notice, created_at__gte=since)
    )


def _not_yet(notice, since_attribute):
    """For candidates annotated with an aggregate (which a subquery cannot compare with):
    keep those without this notice since that moment, read from the prefetched notices."""

    def keep(aid_request):
        since = getattr(aid_request, since_attribute)
        return not any(
            event.notice == notice and event.created_at >= since for event in aid_request.notices
        )

    return keep


def _point_people(aid_request):
    return (
        [person.user for person in aid_request.pod.point_people.all() if person.user]
        if aid_request.pod
        else []
    )


def _coordinators():
    return list(User.objects.filter(groups__name=COORDINATOR_GROUP, is_active=True))


def _claimer(aid_request):
    claim = aid_request.active_claim
    return [claim.volunteer.user] if claim and claim.volunteer.user else []


def _notify(run, candidates, notice, recipients, progress):
    for aid_request in progress(candidates):
        with transaction.atomic():
            aid_request.record(EventKind.REMINDER_SENT, notice=notice, text=str(WHY[notice]))
        run.tell(recipients(aid_request), aid_request, notice)
        run.done[notice] += 1


def run_followups(*, now=None, progress=lambda rows: rows):
    now = now or timezone.now()
    run = Run(now=now)
    base = Request.objects.select_related("pod", "category").prefetch_related(
        "pod__point_people__user"
    )

    new = base.filter(status=RequestStatus.NEW)
    _notify(
        run,
        new.filter(
            created_at__lte=now - timedelta(hours=settings.FOLLOWUP_NEW_TO_POINT_PEOPLE_HOURS)
        )
        .exclude(_already(Notice.NEW_TO_POINT_PEOPLE, OuterRef("created_at")))
        .order_by("pk"),
        Notice.NEW_TO_POINT_PEOPLE,
        _point_people,
        progress,
    )
    coordinators = _coordinators()
    _notify(
        run,
        new.filter(
            created_at__lte=now - timedelta(hours=settings.FOLLOWUP_NEW_TO_COORDINATORS_HOURS)
        )
        .exclude(_already(Notice.NEW_TO_COORDINATORS, OuterRef("created_at")))
        .order_by("pk"),
        Notice.NEW_TO_COORDINATORS,
        lambda aid_request: [*coordinators, *_point_people(aid_request)],
        progress,
    )

    stuck = base.filter(
        status=RequestStatus.OPEN,
        escalated_at__isnull=True,
        status_changed_at__lte=now - timedelta(hours=settings.FOLLOWUP_OPEN_TO_NETWORK_HOURS),
    ).order_by("pk")
    for aid_request in progress(stuck):
        aid_request.offer_to_network()
        run.done[Notice.OPEN_TO_NETWORK] += 1

    with_notices = base.prefetch_related(
        Prefetch("events", Event.objects.exclude(notice=""), to_attr="notices")
    )
    claimed = (
        with_notices.filter(status=RequestStatus.CLAIMED)
        .with_active_claim()
        .annotate(last_work=Max("events__created_at", filter=WORK))
    )
    for aid_request in progress(
        claimed.filter(
            last_work__lte=now - timedelta(days=settings.FOLLOWUP_CLAIM_RELEASE_DAYS)
        ).order_by("pk")
    ):
        claimer = _claimer(aid_request)
        aid_request.release(by=None, reason=str(WHY[Notice.CLAIM_RELEASED]))
        aid_request.record(
            EventKind.REMINDER_SENT,
            notice=Notice.CLAIM_RELEASED,
            text=str(WHY[Notice.CLAIM_RELEASED]),
        )
        run.tell([*claimer, *_point_people(aid_request)], aid_request, Notice.CLAIM_RELEASED)
        run.done[Notice.CLAIM_RELEASED] += 1
    stalled = claimed.filter(
        last_work__lte=now - timedelta(days=settings.FOLLOWUP_CLAIM_REMINDER_DAYS),
        last_work__gt=now - timedelta(days=settings.FOLLOWUP_CLAIM_RELEASE_DAYS),
    ).order_by("pk")
    _notify(
        run,
        list(filter(_not_yet(Notice.CLAIM_REMINDER, "last_work"), stalled)),
        Notice.CLAIM_REMINDER,
        _claimer,
        progress,
    )

    waiting = (
        with_notices.filter(
            status__in=[RequestStatus.NEW, RequestStatus.OPEN, RequestStatus.CLAIMED]
        )
        .with_active_claim()
        .annotate(
            last_in=Max(
                "events__created_at", filter=Q(events__kind=EventKind.MESSAGE_FROM_NEIGHBOR)
            ),
            last_out=Max(
                "events__created_at", filter=Q(events__kind=EventKind.MESSAGE_TO_NEIGHBOR)
            ),
        )
        .filter(last_in__lte=now - timedelta(hours=settings.FOLLOWUP_MESSAGE_HOURS))
        .filter(Q(last_out__isnull=True) | Q(last_out__lt=F("last_in")))
        .order_by("pk")
    )
    _notify(
        run,
        list(filter(_not_yet(Notice.MESSAGE_UNANSWERED, "last_in"), waiting)),
        Notice.MESSAGE_UNANSWERED,
        lambda aid_request: [*_claimer(aid_request), *_point_people(aid_request)],
        progress,
    )

    for user, items in run.digests.items():
        send_digest(user, items)
    run.done["emails"] = len(run.digests)
    return run


def send_digest(user, items):
    """One email per person per run, in their language, plain text with a simple HTML
    part: no images, no tracking."""
    volunteer = getattr(user, "volunteer", None)
    language = volunteer.language if volunteer else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "user": user,
            "items": [
                {
                    "aid_request": aid_request,
                    "why": WHY[notice],
                    "url": f"{settings.SITE_URL}{reverse('volunteers:request', args=[aid_request.reference])}",
                }
                for aid_request, notice in items
            ],
            "NETWORK_NAME": settings.NETWORK_NAME,
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("volunteers/email/digest_subject.txt", context).strip(),
            body=render_to_string("volunteers/email/digest.txt", context),
            to=[user.email],
        )
        message.attach_alternative(
            render_to_string("volunteers/email/digest.html", context), "text/html"
        )
        message.send()
