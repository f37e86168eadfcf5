"""Finishing what we start: the follow-up engine behind `manage.py run_followups`.

Every notice is recorded once on the request's timeline (an event with its `notice` code)
and that record is what makes a second run do nothing twice. Each recipient gets at most
one email per run: a digest of everything that needs them."""

import logging
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from requests_app.models import Event, EventKind, InvalidTransition, Notice, Request, RequestStatus
from volunteers.access import COORDINATOR_GROUP

logger = logging.getLogger(__name__)
ADVISORY_LOCK_KEY = 7400211  # any constant, the same for every run

WHY = {
    Notice.NEW_TO_POINT_PEOPLE: _("New for more than a day: please triage it."),
    Notice.NEW_TO_COORDINATORS: _("New for more than two days: nobody has triaged it yet."),
    Notice.CLAIM_REMINDER: _(
        "You took this request six days ago and nothing has happened since. Can you finish it, or release it?"
    ),
    Notice.CLAIM_RELEASED: _("Released back to the pod after nine days without activity."),
    Notice.MESSAGE_UNANSWERED: _("The neighbor wrote a day ago and nobody has answered."),
}
# Told to the coordinators when nobody nearby can be emailed, where WHY speaks to the one
# who took the request.
WHY_NOBODY_NEARBY = {
    Notice.CLAIM_REMINDER: _(
        "Taken six days ago and nothing has happened since, and the volunteer who took it cannot be emailed. Can you reach them?"
    ),
}


@dataclass
class Run:
    coordinators: list = field(default_factory=list)
    digests: dict = field(default_factory=lambda: defaultdict(list))
    done: Counter = field(default_factory=Counter)

    def tell(self, users, aid_request, why):
        for user in users:
            self.digests[user].append((aid_request, why))


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


def active_coordinators():
    return list(User.objects.filter(groups__name=COORDINATOR_GROUP, is_active=True))


def _claimer(aid_request):
    claim = aid_request.active_claim
    return [claim.volunteer.user] if claim and claim.volunteer.user else []


def _who_to_tell(run, people, notice):
    """Those of `people` an email reaches (an active login with an address), and what to
    tell them; when none can be (no pod, no point people, a phone-only claimer), the
    coordinators who can."""
    nearby = [user for user in people if user.is_active and user.email]
    if nearby:
        return nearby, WHY[notice]
    coordinators = [user for user in run.coordinators if user.email]
    return coordinators, WHY_NOBODY_NEARBY.get(notice, WHY[notice])


def _notify(run, candidates, notice, recipients, progress):
    for aid_request in progress(candidates):
        people, why = _who_to_tell(run, recipients(aid_request), notice)
        if not people:
            # Recorded, the notice would never be sent: the next run tries again, and the
            # log says why until a coordinator's login has an email address.
            logger.warning(
                "Nobody can be emailed about request %s (%s): no coordinator has an email "
                "address; left for the next run",
                aid_request.reference,
                notice,
            )
            run.done["nobody_to_tell"] += 1
            continue
        aid_request.record(EventKind.REMINDER_SENT, notice=notice)
        run.tell(people, aid_request, why)
        run.done[notice] += 1


@contextmanager
def only_one_run():
    """Two overlapping runs (a slow one and the next cron tick) must not both send: on
    PostgreSQL the second finds the lock taken and does nothing."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


def run_followups(*, now=None, progress=lambda rows: rows):
    with only_one_run() as alone:
        if not alone:
            return Run()
        return _run(now or timezone.now(), progress)


def _run(now, progress):
    run = Run(coordinators=active_coordinators())
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
    _notify(
        run,
        new.filter(
            created_at__lte=now - timedelta(hours=settings.FOLLOWUP_NEW_TO_COORDINATORS_HOURS)
        )
        .exclude(_already(Notice.NEW_TO_COORDINATORS, OuterRef("created_at")))
        .order_by("pk"),
        Notice.NEW_TO_COORDINATORS,
        lambda aid_request: [*run.coordinators, *_point_people(aid_request)],
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
    claimed = with_notices.filter(status=RequestStatus.CLAIMED).with_active_claim().with_activity()
    for aid_request in progress(
        claimed.filter(
            last_activity__lte=now - timedelta(days=settings.FOLLOWUP_CLAIM_RELEASE_DAYS)
        ).order_by("pk")
    ):
        claimer = _claimer(aid_request)
        try:
            with transaction.atomic():
                aid_request.release(by=None, reason="")
                aid_request.record(EventKind.REMINDER_SENT, notice=Notice.CLAIM_RELEASED)
        except InvalidTransition:
            continue  # closed or released by a person since the query ran: nothing to do
        # Released either way: the request is back in the queue for everyone to see.
        people, why = _who_to_tell(
            run, [*claimer, *_point_people(aid_request)], Notice.CLAIM_RELEASED
        )
        if not people:
            logger.warning(
                "Nobody can be emailed that request %s was released: no coordinator has an "
                "email address",
                aid_request.reference,
            )
        run.tell(people, aid_request, why)
        run.done[Notice.CLAIM_RELEASED] += 1
    stalled = claimed.filter(
        last_activity__lte=now - timedelta(days=settings.FOLLOWUP_CLAIM_REMINDER_DAYS),
        last_activity__gt=now - timedelta(days=settings.FOLLOWUP_CLAIM_RELEASE_DAYS),
    ).order_by("pk")
    _notify(
        run,
        list(filter(_not_yet(Notice.CLAIM_REMINDER, "last_activity"), stalled)),
        Notice.CLAIM_REMINDER,
        _claimer,
        progress,
    )

    waiting = (
        with_notices.filter(
            status__in=[RequestStatus.NEW, RequestStatus.OPEN, RequestStatus.CLAIMED]
        )
        .with_active_claim()
        .with_activity()
        .waiting_for_an_answer()
        .filter(last_from_neighbor__lte=now - timedelta(hours=settings.FOLLOWUP_MESSAGE_HOURS))
        .order_by("pk")
    )
    _notify(
        run,
        list(filter(_not_yet(Notice.MESSAGE_UNANSWERED, "last_from_neighbor"), waiting)),
        Notice.MESSAGE_UNANSWERED,
        lambda aid_request: [*_claimer(aid_request), *_point_people(aid_request)],
        progress,
    )

    for user, items in run.digests.items():
        try:
            send_digest(user, items)
        except Exception:
            # One unreachable mailbox must not silence everyone after it.
            logger.exception("Could not send the follow-up digest to user %s", user.pk)
            run.done["email_failures"] += 1
        else:
            run.done["emails"] += 1
    return run


def email_staff(user, template, make_context):
    """One email to a volunteer or coordinator, in their language, plain text with a
    simple HTML part: no images, no tracking. `template` names _subject.txt, .txt, .html;
    `make_context` runs in their language, so its links and words are theirs too."""
    volunteer = getattr(user, "volunteer", None)
    language = volunteer.language if volunteer else settings.LANGUAGE_CODE
    with translation.override(language):
        context = make_context() | {"user": user, "NETWORK_NAME": settings.NETWORK_NAME}
        message = EmailMultiAlternatives(
            subject=render_to_string(f"{template}_subject.txt", context).strip(),
            body=render_to_string(f"{template}.txt", context),
            to=[user.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()


def send_digest(user, items):
    """One email per person per run: everything that needs them."""
    email_staff(
        user,
        "volunteers/email/digest",
        lambda: {
            "items": [
                {
                    "aid_request": aid_request,
                    "why": why,
                    "url": f"{settings.SITE_URL}{reverse('volunteers:request', args=[aid_request.reference])}",
                }
                for aid_request, why in items
            ]
        },
    )
