"""Writes that touch more than one row: each is one transaction."""

import logging

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from requests_app.models import (
    AuditAction,
    AuditEntry,
    Channel,
    Claim,
    Event,
    EventKind,
    Neighbor,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Translation,
    create_with_unique_reference,
    new_token,
)
from waltham_aid.logs import person

logger = logging.getLogger(__name__)


def find_or_create_neighbor(*, phone="", email="", **details):
    """A returning neighbor who types exactly what is on file (the same phone and email,
    name, address, ways to reach them, language and consent) joins their record; anything
    else makes a record of its own, with everything typed now.

    So nothing on an existing record changes, nothing typed is lost, and nothing on file
    reaches whoever is submitting: the volunteers helping with their request see only what
    they typed, never the address or name someone else gave with the same phone number. A
    coordinator can update a record, or move a request to another record, in the admin."""
    typed = {"phone": phone, "email": email.strip().lower(), **details}
    if phone or typed["email"]:
        known = Neighbor.objects.filter(contact_erased_at__isnull=True)
        # Locked: a record being erased at this moment is not joined (PostgreSQL reads
        # it again once the erasure commits, and it no longer matches).
        matching = known.filter(Neighbor.saying_the_same(typed)).order_by("pk")
        same = matching.select_for_update().first()
        if same is not None:
            return same, False
    return Neighbor.objects.create(**typed), True


def _made_by(neighbor, rows):
    """A new record remembers a row its submission made: that row's private link may
    delete it (makers_of)."""
    name = "requests" if rows[0]._meta.model is Request else "offers"
    neighbor.makers = {name: [rows[0].pk]}
    neighbor.save(update_fields=["makers"])


def _new_requests(neighbor, needs, *, token, language, pod_id, channel, entered_by=None, **fields):
    """One request per need on `neighbor`, sharing the status link `token`, each with its
    "submitted" event."""
    created = []
    for category in needs:
        aid_request = create_with_unique_reference(
            Request,
            neighbor=neighbor,
            category=category,
            language=language,
            pod_id=pod_id,
            channel=channel,
            entered_by=entered_by,
            status_token=token,
            **fields,
        )
        aid_request.record(EventKind.SUBMITTED, by=entered_by, by_neighbor=entered_by is None)
        created.append(aid_request)
    return created


class Submitted(list):
    """The requests a submission made, and whether its confirmation email went out: None
    until the transaction commits (or when there was none to send), then True or False."""

    emailed = None


@transaction.atomic
def create_requests(*, needs, contact, details="", urgency, channel=Channel.WEB, entered_by=None):
    """A neighbor asks for one or more things: one neighbor, one request per need, one
    shared status link, and a "submitted" event on each. All or nothing. Returns them
    as Submitted."""
    neighbor, new_record = find_or_create_neighbor(**contact)
    created = Submitted(
        _new_requests(
            neighbor,
            needs,
            token=new_token(),
            language=contact.get("language") or neighbor.language,
            pod_id=contact["pod"].pk if contact.get("pod") else neighbor.pod_id,
            channel=channel,
            entered_by=entered_by,
            details=details,
            urgency=urgency,
        )
    )
    if new_record:
        _made_by(neighbor, created)
    # The confirmation goes to the email typed now, never to one already on file.
    typed_email = contact.get("email", "").strip().lower()
    if typed_email:

        def confirm():
            created.emailed = send_request_confirmation(neighbor, created, to=typed_email)

        transaction.on_commit(confirm, robust=True)
    return created


class FullFormNeeded(Exception):
    """A private link that cannot take a new request or offer without the neighbor's
    details: its record's details were deleted (`erased`), or a coordinator moved some
    of its rows to another record, and which one to reach is not ours to guess."""

    def __init__(self, *, erased):
        super().__init__("details deleted" if erased else "rows on several records")
        self.erased = erased


@transaction.atomic
def ask_again(token, *, needs, details="", urgency):
    """A neighbor asks for something else from their private status page, without typing
    their details again: new requests on the link's one record (record_of_link), with the
    pod and language of its newest request, on the same link (so the status page shows
    them with the others), confirmed by email when the record has one (where volunteers'
    messages about this link's requests already go). All or nothing.

    The link holder learns nothing new: the status page never shows the record."""
    neighbor, newest = _lock_record_of_link(Request.objects.filter(status_token=token))
    created = _new_requests(
        neighbor,
        needs,
        token=token,
        language=newest.language,
        pod_id=newest.pod_id or neighbor.pod_id,
        channel=Channel.WEB,
        details=details,
        urgency=urgency,
    )
    if neighbor.email:
        transaction.on_commit(
            lambda: send_request_confirmation(neighbor, created, to=neighbor.email), robust=True
        )
    return created


def record_of_link(rows):
    """The one record a private link's rows are on (`rows`: its requests, or its offers,
    of which a volunteer's have none), with the link's newest row. Raises the model's
    DoesNotExist for a link with no neighbor's row, and FullFormNeeded when a new request
    or offer could not go on that record. Two queries and no lock: for deciding which
    page to show (ask_again and offer_again read it again, locked)."""
    rows = rows.exclude(neighbor=None)
    newest = rows.select_related("neighbor").order_by("-pk").first()
    if newest is None:
        raise rows.model.DoesNotExist("nothing from a neighbor on this link")
    if rows.exclude(neighbor=newest.neighbor_id).exists():
        raise FullFormNeeded(erased=False)
    if newest.neighbor.contact_erased_at is not None:
        raise FullFormNeeded(erased=True)
    return newest.neighbor, newest


def _lock_record_of_link(rows):
    """record_of_link, with the record's requests and then the record locked
    (lock_records) and everything read again under the lock. A coordinator joining
    records at this moment may move the rows to the record kept: the locks taken in vain
    are let go (their savepoint rolled back) before the next record is locked, so nobody
    waits on anybody in a circle."""
    while True:
        with transaction.atomic():
            first_read, _newest = record_of_link(rows)
            lock_records([first_read.pk])
            neighbor, newest = record_of_link(rows)
            if neighbor.pk == first_read.pk:
                return neighbor, newest
            transaction.set_rollback(True)


def _new_offers(neighbor, offers, *, token, pod_id, languages=(), **fields):
    return [
        create_with_unique_reference(
            Offer,
            neighbor=neighbor,
            category=category,
            pod_id=pod_id,
            languages=list(languages),
            token=token,
            **fields,
        )
        for category in offers
    ]


@transaction.atomic
def create_offers(*, offers, contact, **fields):
    """A neighbor offers one or more things: one offer per kind, one shared private link.
    `fields`: what OffersForm.offer_details gives."""
    neighbor, new_record = find_or_create_neighbor(**contact)
    created = _new_offers(
        neighbor,
        offers,
        token=new_token(),
        pod_id=contact["pod"].pk if contact.get("pod") else neighbor.pod_id,
        **fields,
    )
    if new_record:
        _made_by(neighbor, created)
    return created


@transaction.atomic
def offer_again(token, *, offers, **fields):
    """A neighbor offers something else from an offer's private page, without typing their
    details again: new offers on the link's one record (record_of_link), with the pod of
    its newest offer, on the same link. All or nothing."""
    neighbor, newest = _lock_record_of_link(Offer.objects.filter(token=token))
    return _new_offers(
        neighbor, offers, token=token, pod_id=newest.pod_id or neighbor.pod_id, **fields
    )


def lock_records(ids):
    """Lock neighbor records for a change that touches their requests: their requests
    first, then the records, each in id order. It is the order of a volunteer closing a
    request (the request, then its neighbor for the next date), so nobody waits on the
    other for ever. Returns the records, read under the lock."""
    list(Request.objects.filter(neighbor__in=ids).order_by("pk").select_for_update().values("pk"))
    return list(Neighbor.objects.filter(pk__in=ids).order_by("pk").select_for_update())


@transaction.atomic
def erase_neighbor_contact_details(neighbor, *, by=None, by_neighbor=False, why=""):
    """Forget how to reach this neighbor, at once: the one path for the neighbor's own
    "delete my contact details", a coordinator, and the retention job. Their requests
    and offers stay, anonymous, so reports still count them; each request's timeline says
    the details were erased (not what they were). What people wrote about finished help
    (details, messages, notes, translations) goes too: it can name or place someone.
    Help still under way keeps its description, or nobody could do it, until it finishes
    (erase_words_kept_after_erasure, from the retention job)."""
    locked = lock_records([neighbor.pk])
    if not locked:
        raise Neighbor.DoesNotExist(f"neighbor {neighbor.pk} is gone")
    neighbor = locked[0]
    neighbor.erase_contact_details()
    requests = list(neighbor.requests.all())
    _erase_what_people_wrote_about(
        [aid_request.pk for aid_request in requests if aid_request.is_closed]
    )
    neighbor.offers.exclude(pk__in=neighbor.offers.standing().values("pk")).update(
        details="", availability="", area=""
    )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Neighbor), object_id=str(neighbor.pk)
    ).update(object_repr=str(neighbor), change_message="")
    for aid_request in requests:
        aid_request.record(EventKind.CONTACT_ERASED, by=by, by_neighbor=by_neighbor)
    AuditEntry.objects.record(
        AuditAction.CONTACT_ERASED,
        by=by,
        subject=f"neighbor {neighbor.pk}",
        detail="by the neighbor" if by_neighbor else why,
    )
    logger.info("Contact details of neighbor %s erased (%s)", neighbor.pk, why or "by hand")
    return neighbor


def _erase_what_people_wrote_about(finished):
    """What people wrote about these finished requests (ids): details, outcome notes,
    why a claim was given back, messages, notes and translations."""
    Request.objects.filter(pk__in=finished).update(details="", outcome_note="")
    Claim.objects.filter(request__in=finished).update(release_reason="")
    Event.objects.filter(request__in=finished).erase_what_people_wrote()
    Translation.objects.filter(request__in=finished).delete()


@transaction.atomic
def erase_words_kept_after_erasure(neighbor, *, why):
    """The rest of an erasure: what people wrote about help that was still under way when
    this record's details were erased (kept then, or nobody could do it) and has finished
    since (Request.objects.words_kept_after_erasure). Each of those requests' timelines
    says so again, as on the day of the erasure. Returns how many requests."""
    if not lock_records([neighbor.pk]):
        raise Neighbor.DoesNotExist(f"neighbor {neighbor.pk} is gone")
    finished = list(neighbor.requests.words_kept_after_erasure())
    _erase_what_people_wrote_about([aid_request.pk for aid_request in finished])
    for aid_request in finished:
        aid_request.record(EventKind.CONTACT_ERASED)
    AuditEntry.objects.record(
        AuditAction.CONTACT_ERASED, subject=f"neighbor {neighbor.pk}", detail=why
    )
    logger.info(
        "What was written on %s finished requests of neighbor %s erased (%s)",
        len(finished),
        neighbor.pk,
        why,
    )
    return len(finished)


@transaction.atomic
def erase_what_a_link_gave(*, status_token=None, offer_token=None):
    """A neighbor's own "delete my contact details", from one private link: a status page
    (`status_token`) or an offer page (`offer_token`), for each record its requests or
    offers are on (a coordinator may have moved some to another).

    The link that made a record (it holds one of the record's makers_of rows) erases
    it, whatever joined it later, and ends its offers: nobody could reach their giver.
    A link that joined a record made by another submission (typing exactly the same
    details) takes only its own requests and offers off it, to a record of their own,
    which is erased: whoever typed someone's details cannot delete the record of the
    person who gave them first."""
    # A link of one kind has no rows of the other (none(): not even a query).
    requests = Request.objects.none()
    offers = Offer.objects.none()
    if status_token:
        requests = Request.objects.filter(status_token=status_token)
    if offer_token:
        offers = Offer.objects.filter(token=offer_token)

    def records_now():
        return {
            pk
            for rows in (requests, offers)
            for pk in rows.exclude(neighbor=None).values_list("neighbor", flat=True)
        }

    # Read again once locked, until nothing moves: a coordinator joining records at this
    # moment moves the link's rows to the record kept, which is then locked and erased.
    locked = set()
    while new := records_now() - locked:
        lock_records(new)
        locked |= new
    for neighbor in Neighbor.objects.filter(pk__in=records_now()).order_by("pk"):
        _erase_what_a_link_gave_on(neighbor, requests, offers)


def _erase_what_a_link_gave_on(neighbor, requests, offers):
    mine = [rows.filter(neighbor=neighbor) for rows in (requests, offers)]
    if not _made_the_record(neighbor, *mine):
        own = Neighbor.objects.create(language=neighbor.language, pod=neighbor.pod)
        for rows in mine:
            rows.update(neighbor=own)
        neighbor = own
    for offer in neighbor.offers.exclude(status=OfferStatus.FINISHED):
        offer.move_to(OfferStatus.FINISHED)
    if neighbor.contact_erased_at is None:
        erase_neighbor_contact_details(neighbor, by_neighbor=True)


def makers_of(neighbor):
    """The rows whose links made this record ({"requests": {pk}, "offers": {pk}}), as the
    record remembers them (Neighbor.makers); a record made by hand in the admin remembers
    none, and its first request or offer is taken."""
    makers = {name: set(neighbor.makers.get(name, ())) for name in ("requests", "offers")}
    if any(makers.values()):
        return makers
    firsts = [
        (first, name)
        for name, everything in (("requests", neighbor.requests), ("offers", neighbor.offers))
        if (
            first := everything.order_by("created_at", "pk").values_list("created_at", "pk").first()
        )
    ]
    if firsts:
        (_created_at, pk), name = min(firsts)
        makers[name].add(pk)
    return makers


def _made_the_record(neighbor, requests, offers):
    """Whether the link's rows (querysets of `requests` and `offers`) include one that
    made the record (makers_of); a record with nothing on it yet is anyone's."""
    makers = makers_of(neighbor)
    return not any(makers.values()) or any(
        rows.filter(pk__in=makers[name]).exists()
        for name, rows in (("requests", requests), ("offers", offers))
    )


def close_request(aid_request, outcome, *, by, note="", referral=None, duplicate_of=None):
    """Close with an outcome and tell the neighbor by email when we can. Returns True when
    emailed; a phone-only neighbor is told by whoever helps them. From the volunteers'
    workspace and the admin's bulk actions alike."""
    with transaction.atomic():
        aid_request.close(outcome, by=by, note=note, referral=referral, duplicate_of=duplicate_of)
        logger.info("Request %s closed as %s by %s", aid_request.reference, outcome, person(by))
        neighbor = aid_request.neighbor
        if not neighbor.email or outcome == RequestStatus.WITHDRAWN:
            return False
        transaction.on_commit(
            lambda: email_neighbor(
                neighbor,
                "volunteers/email/outcome",
                status_token=aid_request.status_token,
                aid_request=aid_request,
            ),
            robust=True,
        )
    return True


def status_url(token):
    """A neighbor's private status link, at the network's address (SITE_URL)."""
    return settings.SITE_URL + reverse("requests_app:status", args=[token])


def send_request_confirmation(neighbor, requests, *, to):
    """The same words as the page after asking, by email. True when it went out."""
    return email_neighbor(
        neighbor,
        "requests_app/email/asked",
        to=to,
        status_token=requests[0].status_token,
        requests=requests,
        usual_hours=settings.USUAL_RESPONSE_HOURS,
    )


def email_neighbor(neighbor, template, *, status_token, to=None, **context):
    """One email to a neighbor, in their language (links too): plain text with a simple
    HTML part, no images, no tracking. `template` names _subject.txt, .txt and .html.
    True when it went out; a failure is logged without the address."""
    with translation.override(neighbor.language):
        context |= {
            "neighbor": neighbor,
            "status_url": status_url(status_token),
            "NETWORK_NAME": settings.NETWORK_NAME,
            "NETWORK_PHONE": settings.NETWORK_PHONE,
        }
        message = EmailMultiAlternatives(
            subject=render_to_string(f"{template}_subject.txt", context).strip(),
            body=render_to_string(f"{template}.txt", context),
            to=[to or neighbor.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        try:
            message.send()
        except Exception as error:
            # The error names the address (SMTPRecipientsRefused does), and whatever logs
            # it next would keep it: say which neighbor, by record number, instead.
            logger.error("Could not email neighbor %s (%s)", neighbor.pk, type(error).__name__)
            return False
        return True


def record_contact_look(neighbor_ids, *, by):
    """A coordinator looked at these records' contact details in the admin: on each of
    their requests' timelines and on the audit trail, as a volunteer's look is
    (volunteers.access.reveal_contact_details)."""
    Event.objects.bulk_create(
        Event(request_id=pk, kind=EventKind.CONTACT_VIEWED, actor=by, text="admin")
        for pk in Request.objects.filter(neighbor_id__in=neighbor_ids).values_list("pk", flat=True)
    )
    AuditEntry.objects.record_each(
        AuditAction.CONTACT_VIEWED, [f"neighbor {pk}" for pk in neighbor_ids], by=by
    )


class CannotMerge(Exception):
    """Records that must not become one; the message says why, for the coordinator."""


MERGE_AT_MOST = 10


def check_can_merge(records):
    """Raise CannotMerge unless `records` (Neighbor rows) may be joined into one."""
    if len(records) < 2:
        raise CannotMerge(_("Choose at least two records of the same neighbor."))
    if len(records) > MERGE_AT_MOST:
        raise CannotMerge(
            _("Choose at most %(count)d records at a time.") % {"count": MERGE_AT_MOST}
        )
    if any(record.contact_erased_at is not None for record in records):
        raise CannotMerge(
            _(
                "Records whose contact details were erased cannot be joined: their requests "
                "stay anonymous."
            )
        )


@transaction.atomic
def merge_neighbors(keep, others, *, by):
    """A coordinator knows these records are one person (they typed their details a little
    differently each time): every request and offer moves to `keep`, whose contact details
    everyone helping them now sees, and the other records are deleted with what they said.

    Consent to the pod's point people stays only if every record gave it. The longest
    "keep until" stays, with its reason. The links that made each record may delete the
    joined one (makers_of). Records whose details were erased are never merged: their
    requests stay anonymous, as the neighbor or the retention rules asked."""
    ids = {keep.pk, *(other.pk for other in others)}
    records = {record.pk: record for record in lock_records(ids)}
    if len(records) != len(ids):
        raise CannotMerge(_("One of these records was deleted meanwhile. Start again."))
    check_can_merge(list(records.values()))
    keep = records[keep.pk]
    others = [record for pk, record in records.items() if pk != keep.pk]
    makers = {"requests": set(), "offers": set()}
    for record in records.values():
        for name, pks in makers_of(record).items():
            makers[name] |= pks
    moved = list(Request.objects.filter(neighbor__in=others).values_list("pk", flat=True))
    Request.objects.filter(neighbor__in=others).update(neighbor=keep)
    Offer.objects.filter(neighbor__in=others).update(neighbor=keep)
    Event.objects.bulk_create(
        Event(request_id=pk, kind=EventKind.NEIGHBOR_MERGED, actor=by) for pk in moved
    )
    keep.makers = {name: sorted(pks) for name, pks in makers.items()}
    changed = []
    consent = all(record.share_with_point_people for record in records.values())
    if consent != keep.share_with_point_people:
        keep.share_with_point_people = consent
        changed.append("point people may see: no")
    keep.pod_id = keep.pod_id or next((o.pod_id for o in others if o.pod_id), None)
    longest = max(
        (r for r in records.values() if r.keep_until), key=lambda r: r.keep_until, default=None
    )
    if longest is not None and longest.keep_until != keep.keep_until:
        keep.keep_until, keep.keep_reason = longest.keep_until, longest.keep_reason
        changed.append(f"keep until {keep.keep_until:%Y-%m-%d}")
    keep.save(
        update_fields=[
            "makers",
            "share_with_point_people",
            "pod",
            "keep_until",
            "keep_reason",
        ]
    )
    Neighbor.objects.filter(pk__in=[other.pk for other in others]).delete()
    # A line per record, so the trail of each deleted record leads to the one kept.
    AuditEntry.objects.record_each(
        AuditAction.NEIGHBORS_MERGED,
        [f"neighbor {other.pk}" for other in others],
        by=by,
        detail=f"joined into neighbor {keep.pk}",
    )
    joined = ", ".join(str(other.pk) for other in others)
    AuditEntry.objects.record(
        AuditAction.NEIGHBORS_MERGED,
        by=by,
        subject=f"neighbor {keep.pk}",
        detail="; ".join([f"kept, joined neighbors {joined}", *changed]),
    )
    return keep
