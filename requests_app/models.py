import logging
import secrets
from calendar import monthrange
from datetime import date, timedelta
from itertools import islice

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.localized import ChoiceLabels
from waltham_aid.logs import person

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]

logger = logging.getLogger(__name__)


class LanguagesField(models.JSONField):
    """A list of the network's language codes, stored as JSON and chosen with checkboxes:
    the admin's default JSON text box would let a coordinator type anything, even a
    number the database cannot store."""

    def formfield(self, **kwargs):
        # What a form or the admin asks for (a label, a widget) wins; JSONField's own
        # form class and its encoder do not apply to a list of choices.
        for json_only in ("form_class", "encoder", "decoder"):
            kwargs.pop(json_only, None)
        return forms.MultipleChoiceField(
            **{
                "label": capfirst(self.verbose_name),
                "help_text": self.help_text,
                "required": not self.blank,
                "choices": settings.LANGUAGES,
                "widget": forms.CheckboxSelectMultiple,
                **kwargs,
            }
        )


# No 0/O, 1/I/L: a reference is read aloud over the phone and copied from paper.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference():
    """A short code like K7QX-2M: 31**6, about 887 million possibilities."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{chars[:4]}-{chars[4:]}"


def new_token():
    """The secret in a neighbor's private status link: 256 bits, unguessable."""
    return secrets.token_urlsafe(32)


def normalize_reference(text):
    """'k7qx 2m', 'K7QX2M' and 'K7QX-2M' are the same reference."""
    chars = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == 6 else text.strip().upper()


class InvalidTransition(Exception):
    """A request or offer was asked to move to a status it cannot reach from where it is."""

    def __init__(self, current, target):
        self.current = current
        self.target = target
        super().__init__(f"{current} -> {target}")


class AppliesTo(models.TextChoices):
    NEEDS = "needs", _("Needs")
    OFFERS = "offers", _("Offers")
    BOTH = "both", _("Needs and offers")


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_needs(self):
        return self.active().filter(applies_to__in=[AppliesTo.NEEDS, AppliesTo.BOTH])

    def for_offers(self):
        return self.active().filter(applies_to__in=[AppliesTo.OFFERS, AppliesTo.BOTH])


class Category(models.Model):
    """A kind of need or offer: groceries, childcare, rides... Name and description are
    translated (modeltranslation adds name_es, name_ht, ... columns)."""

    slug = models.SlugField(_("short name"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("short description"), max_length=200, blank=True)
    applies_to = models.CharField(
        _("applies to"), max_length=6, choices=AppliesTo, default=AppliesTo.BOTH
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Moves on every save: public pages kept in memory are drawn again (kept_pages).
    changed_at = models.DateTimeField(auto_now=True, editable=False)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(applies_to__in=AppliesTo.values), name="category_applies_to_valid"
            )
        ]

    def __str__(self):
        return self.name


class ContactMethod(models.TextChoices):
    CALL = "call", _("Phone call")
    TEXT = "text", _("Text message")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class Neighbor(ChoiceLabels, models.Model):
    """A person who asks or offers. Only what we need to reach them, nothing more: we never
    ask anything that tests whether someone deserves help (tests/test_no_means_testing.py)."""

    name = models.CharField(_("what to call you"), max_length=100, blank=True)
    # E.164 ("+16175550142"), normalized by the phonenumbers library on the way in.
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    whatsapp_ok = models.BooleanField(_("WhatsApp is OK"), default=False)
    preferred_contact = models.CharField(
        _("best way to reach you"), max_length=8, choices=ContactMethod, blank=True
    )
    best_time = models.CharField(_("best time to reach you"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=7, choices=settings.LANGUAGES, default="en"
    )
    address = models.CharField(_("address or cross streets"), max_length=200, blank=True)
    pod = models.ForeignKey(
        "volunteers.Pod",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="neighbors",
        limit_choices_to={"active": True},
        verbose_name=_("pod"),
    )
    share_with_point_people = models.BooleanField(
        _("the pod's point people may see the contact details"), default=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    contact_erased_at = models.DateTimeField(_("contact details erased"), null=True, blank=True)
    # Retention (requests_app/retention.py): a coordinator may keep the details longer,
    # only with a reason, which goes on the audit trail.
    keep_until = models.DateField(_("keep contact details until"), null=True, blank=True)
    keep_reason = models.CharField(_("reason to keep them longer"), max_length=200, blank=True)
    # The erasure date the coordinators were last told about (one notice per date).
    erasure_notice_for = models.DateField(null=True, blank=True, editable=False)
    # The rows whose private links made this record ({"requests": [pk], "offers": [pk]}):
    # the first request or offer of the submission that made it, and those of the records
    # a coordinator joined into it (services.merge_neighbors). A link holding one may
    # delete the whole record (services.erase_what_a_link_gave).
    makers = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("neighbor")
        verbose_name_plural = _("neighbors")
        permissions = [("merge_neighbors", _("Can join records of the same neighbor"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGE_CODES), name="neighbor_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(preferred_contact__in=[*ContactMethod.values, ""]),
                name="neighbor_preferred_contact_valid",
            ),
        ]

    def __str__(self):
        # Never the name: this string is copied into the admin's history and logs.
        return _("Neighbor #%(id)s") % {"id": self.pk}

    # How to reach someone: what a new submission must repeat exactly to join a record.
    CONTACT_FIELDS = (
        "name",
        "phone",
        "email",
        "whatsapp_ok",
        "preferred_contact",
        "best_time",
        "address",
        "language",
        "share_with_point_people",
    )

    @classmethod
    def saying_the_same(cls, typed):
        """The condition "this record says exactly what was typed" (a form's neighbor
        fields; a field the form does not ask is its default), for a query. Only then may
        a new submission join the record: the volunteer helping with it sees nothing but
        what its sender typed, and nothing typed is lost."""
        condition = Q()
        for name in cls.CONTACT_FIELDS:
            value = typed.get(name, cls._meta.get_field(name).get_default())
            condition &= Q(email__iexact=value) if name == "email" else Q(**{name: value})
        return condition

    # What an erasure empties: who this is, how to reach them, and why a coordinator
    # kept them longer (a reason can name or place someone too).
    ERASED_FIELDS = (
        "name",
        "phone",
        "email",
        "address",
        "best_time",
        "whatsapp_ok",
        "preferred_contact",
        "keep_until",
        "keep_reason",
    )

    def erase_contact_details(self):
        """Forget who this is and how to reach them; their requests stay, anonymous."""
        for name in self.ERASED_FIELDS:
            setattr(self, name, self._meta.get_field(name).get_default())
        self.contact_erased_at = timezone.now()
        self.save(update_fields=[*self.ERASED_FIELDS, "contact_erased_at"])

    erase_contact_details.alters_data = True


class RequestStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("request status", "New")
    OPEN = "open", pgettext_lazy("request status", "Open")
    CLAIMED = "claimed", pgettext_lazy("request status", "Claimed")
    FULFILLED = "fulfilled", pgettext_lazy("request status", "Fulfilled")
    DONE_BY_OTHERS = "others", pgettext_lazy("request status", "Done by others")
    COULD_NOT_HELP = "cannot", pgettext_lazy("request status", "Could not help")
    WITHDRAWN = "withdrawn", pgettext_lazy("request status", "Withdrawn")
    UNREACHABLE = "unreach", pgettext_lazy("request status", "Unreachable")
    DUPLICATE = "duplicate", pgettext_lazy("request status", "Duplicate")


CLOSED = frozenset(
    {
        RequestStatus.FULFILLED,
        RequestStatus.DONE_BY_OTHERS,
        RequestStatus.COULD_NOT_HELP,
        RequestStatus.WITHDRAWN,
        RequestStatus.UNREACHABLE,
        RequestStatus.DUPLICATE,
    }
)
ACTIVE = frozenset({RequestStatus.NEW, RequestStatus.OPEN, RequestStatus.CLAIMED})

# What each status means, told to the neighbor in plain words.
STATUS_FOR_NEIGHBOR = {
    RequestStatus.NEW: _("We got your request. A volunteer will look at it soon."),
    RequestStatus.OPEN: _(
        "Volunteers near you can see your request. Someone will take it on soon."
    ),
    RequestStatus.CLAIMED: _("A volunteer is working on your request and will contact you."),
    RequestStatus.FULFILLED: _("Done. We hope it helped."),
    RequestStatus.DONE_BY_OTHERS: _("Someone else helped with this."),
    RequestStatus.COULD_NOT_HELP: _("We are sorry: we could not help with this."),
    RequestStatus.WITHDRAWN: _("You told us you do not need this anymore."),
    RequestStatus.UNREACHABLE: _(
        "We tried to reach you but could not. If you still need help, ask again or call us."
    ),
    RequestStatus.DUPLICATE: _(
        "This was the same as another of your requests. We are working on that one."
    ),
}

# The lifecycle, as data: new -> open (triaged) -> claimed -> closed with an outcome.
# A claim can be released (claimed -> open); a closed request can be reopened (-> open).
ALLOWED_TRANSITIONS = {
    RequestStatus.NEW: frozenset({RequestStatus.OPEN, RequestStatus.CLAIMED, *CLOSED}),
    RequestStatus.OPEN: frozenset({RequestStatus.CLAIMED, *CLOSED}),
    RequestStatus.CLAIMED: frozenset({RequestStatus.OPEN, *CLOSED}),
    **{closed: frozenset({RequestStatus.OPEN}) for closed in CLOSED},
}


class Urgency(models.IntegerChoices):
    # Integers, so "most urgent first" is a plain ORDER BY on an index.
    TODAY = 1, _("Today")
    THIS_WEEK = 2, _("This week")
    WHENEVER = 3, _("Whenever")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LETTER = "letter", _("Door letter")
    EMAIL = "email", _("Email")
    IN_PERSON = "person", _("In person")


class Repeat(models.TextChoices):
    NEVER = "", _("Does not repeat")
    WEEKLY = "weekly", _("Every week")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")


def next_date(repeat, previous, *, anchor_day):
    """The date after `previous` in a series. Monthly series keep their day of the month
    where the month has it (the 31st becomes the 30th in April, then the 31st again)."""
    if repeat == Repeat.WEEKLY:
        return previous + timedelta(weeks=1)
    if repeat == Repeat.BIWEEKLY:
        return previous + timedelta(weeks=2)
    year, month = (
        (previous.year + 1, 1) if previous.month == 12 else (previous.year, previous.month + 1)
    )
    return date(year, month, min(anchor_day, monthrange(year, month)[1]))


def _approved_volunteers():
    """volunteers.models.Volunteer.objects.approved(), through a relation: this app does
    not import volunteers."""
    return Claim._meta.get_field("volunteer").related_model.objects.approved()


# The neighbor is told "we are working on the other one": so it must still be open.
DUPLICATE_OF_CLOSED = _(
    "That request is closed too. Give the reference of the one still open, or choose another outcome."
)


class OfferedToSomeoneElse(InvalidTransition):
    """A repeating request's next date is kept for the volunteer who did the last one."""

    def __init__(self, volunteer, until):
        self.volunteer = volunteer
        self.until = until
        Exception.__init__(self, f"offered to {volunteer} until {until}")


_NEIGHBOR_WROTE_LAST = Q(last_from_neighbor__isnull=False) & (
    Q(last_to_neighbor__isnull=True) | Q(last_to_neighbor__lt=F("last_from_neighbor"))
)


class RequestQuerySet(models.QuerySet):
    def with_active_claim(self):
        """Each request's unreleased claim, its volunteer and their login, in one extra
        query, read by Request.active_claim."""
        return self.prefetch_related(
            models.Prefetch(
                "claims",
                Claim.objects.active().select_related("volunteer__user"),
            )
        )

    def claimed_by(self, volunteer):
        return self.filter(held_by(volunteer))

    def with_activity(self):
        """Each request's last work (our own reminders and looks at contact details are not
        work), and its last message each way.

        Subqueries that read each request's timeline backwards from its (request,
        created_at) index, not a GROUP BY over every event: a list that stops after a page
        reads the timelines of that page, and filters on these stay in WHERE."""

        def latest(events):
            return Subquery(
                events.filter(request=OuterRef("pk"))
                .order_by("-created_at")
                .values("created_at")[:1]
            )

        return self.annotate(
            last_activity=latest(
                Event.objects.exclude(kind__in=[EventKind.REMINDER_SENT, EventKind.CONTACT_VIEWED])
            ),
            last_from_neighbor=latest(Event.objects.filter(kind=EventKind.MESSAGE_FROM_NEIGHBOR)),
            last_to_neighbor=latest(Event.objects.filter(kind=EventKind.MESSAGE_TO_NEIGHBOR)),
        )

    def waiting_for_an_answer(self):
        """The neighbor wrote last (after with_activity())."""
        return self.filter(_NEIGHBOR_WROTE_LAST)

    def needing_attention(self, *, now):
        """What a point person should look at: new too long, a claim gone quiet, or a
        neighbor waiting for an answer (after with_activity())."""
        return self.filter(status__in=ACTIVE).filter(
            Q(
                status=RequestStatus.NEW,
                created_at__lt=now - timedelta(hours=settings.NEW_STALE_HOURS),
            )
            | Q(
                status=RequestStatus.CLAIMED,
                last_activity__lt=now - timedelta(days=settings.CLAIM_STALE_DAYS),
            )
            | _NEIGHBOR_WROTE_LAST
        )

    def outcomes_to_tell(self):
        """Closed with an outcome that a neighbor without email has not been told yet
        (told since this close: a request reopened and closed again has a new outcome)."""
        told = Event.objects.filter(
            request=OuterRef("pk"),
            kind=EventKind.TOLD_NEIGHBOR,
            created_at__gte=OuterRef("closed_at"),
        )
        return (
            self.filter(
                status__in=CLOSED,
                neighbor__email="",
                neighbor__contact_erased_at__isnull=True,
            )
            .exclude(status__in=[RequestStatus.WITHDRAWN, RequestStatus.DUPLICATE])
            .exclude(Exists(told))
        )

    def outcomes_to_tell_by(self, volunteer, *, led_pod_ids, closed_since):
        """The outcomes to tell among those closed since `closed_since` and held by this
        volunteer, or in a pod they lead when the neighbor agreed to point people seeing
        their details: the query side of volunteers.access.Role.outcomes_to_tell, which
        holds the rule.

        The requests they hold are read first, in a query of their own: a list of ids
        (tens, a few hundred for the busiest volunteer in a year, since a claim stays on
        a closed request) lets PostgreSQL combine two index lookups, those ids and the
        led pods. A subquery in the OR made it test every closed request of the network
        in date order until it had a page: 12,000 rows read for 20 shown at 100,000."""
        held = Claim.objects.active().filter(volunteer=volunteer)
        return (
            self.outcomes_to_tell()
            .filter(closed_at__gt=closed_since)
            .filter(
                Q(pk__in=list(held.values_list("request_id", flat=True)))
                | Q(pod__in=led_pod_ids, neighbor__share_with_point_people=True)
            )
        )

    def words_kept_after_erasure(self):
        """Closed since their neighbor's details were erased, and what people wrote about
        them not erased since: it was kept while the help was under way
        (services.erase_neighbor_contact_details), and goes like any other once it has
        finished (volunteers.retention). A request reopened and closed again is one again."""
        erased_since_closed = Event.objects.filter(
            request=OuterRef("pk"),
            kind=EventKind.CONTACT_ERASED,
            created_at__gte=OuterRef("closed_at"),
        )
        return self.filter(
            status__in=CLOSED, closed_at__gt=F("neighbor__contact_erased_at")
        ).exclude(Exists(erased_since_closed))

    def for_queue(self):
        """The queue's rows: need, pod and the name of whoever has it, never the neighbor.
        The name comes from a subquery in the same statement, not from a prefetch."""
        holder = Claim.objects.active().filter(request=OuterRef("pk"))
        return self.select_related("category", "pod").annotate(
            claimer_name=Subquery(holder.values("volunteer__name")[:1])
        )

    def for_status_page(self, token, *, messages=20):
        """A submission's requests with what the neighbor may see: the newest `messages`
        messages of each conversation (and one more, which says there are older ones),
        never internal notes."""
        newest = Event.objects.conversation().order_by("-created_at", "-pk")[: messages + 1]
        return (
            self.filter(status_token=token)
            .select_related("category", "referral", "neighbor")
            .prefetch_related(models.Prefetch("events", newest, to_attr="newest_messages"))
        )


class Request(ChoiceLabels, models.Model):
    """One need of one neighbor. A submission with three needs makes three requests."""

    reference = models.CharField(
        _("reference"), max_length=7, unique=True, default=new_reference, editable=False
    )
    # Shared by the requests of one submission: the neighbor's private status link.
    status_token = models.CharField(max_length=64, default=new_token, editable=False, db_index=True)
    # Only onto a record whose details are held: an erased one takes nothing new, and its
    # requests stay where they are, anonymous.
    neighbor = models.ForeignKey(
        Neighbor,
        on_delete=models.PROTECT,
        related_name="requests",
        limit_choices_to={"contact_erased_at__isnull": True},
        verbose_name=_("neighbor"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="requests", verbose_name=_("need")
    )
    details = models.TextField(_("details"), max_length=2000, blank=True)
    urgency = models.PositiveSmallIntegerField(
        _("how soon"), choices=Urgency, default=Urgency.THIS_WEEK
    )
    language = models.CharField(
        _("language"), max_length=7, choices=settings.LANGUAGES, default="en"
    )
    pod = models.ForeignKey(
        "volunteers.Pod",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("pod"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel, default=Channel.WEB)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus, default=RequestStatus.NEW
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    outcome_note = models.TextField(_("outcome note"), max_length=2000, blank=True)
    referral = models.ForeignKey(
        "Resource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred to"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("duplicate of"),
    )
    matched_offer = models.ForeignKey(
        "Offer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="matched_requests",
        verbose_name=_("connected offer"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Unclaimed in its pod too long: shown to the whole network with a mark.
    escalated_at = models.DateTimeField(_("offered to the whole network"), null=True, blank=True)
    # Repeating help (meal trains, weekly groceries, check-in calls). The first request of
    # a series holds the rule; each occurrence points to it and has its own date.
    repeat = models.CharField(_("repeats"), max_length=8, choices=Repeat, blank=True, default="")
    repeat_until = models.DateField(_("repeats until"), null=True, blank=True)
    repeat_stopped_at = models.DateTimeField(_("stopped repeating"), null=True, blank=True)
    series = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="occurrences",
        verbose_name=_("first of the series"),
    )
    due_date = models.DateField(_("date"), null=True, blank=True)
    offered_to = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered first to"),
    )
    offered_until = models.DateTimeField(_("offered first until"), null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("noun: a neighbor's need", "request")
        verbose_name_plural = pgettext_lazy("noun: a neighbor's need", "requests")
        indexes = [
            # The volunteers' queue (volunteers/queue.py), read in (urgency, created_at, id)
            # order from small partial indexes of the new and open requests only: by
            # language for the network, by pod for a volunteer's own pods.
            models.Index(
                fields=["language", "urgency", "created_at", "id"],
                condition=Q(status__in=[RequestStatus.NEW, RequestStatus.OPEN]),
                name="request_open_by_language",
            ),
            models.Index(
                fields=["pod", "urgency", "created_at", "id"],
                condition=Q(status__in=[RequestStatus.NEW, RequestStatus.OPEN]),
                name="request_open_by_pod",
            ),
            # Closed requests by when they closed: outcomes still to tell by phone (My
            # work), and the retention job's "closed before the cutoff", with the
            # neighbor in the index so that scan needs no table reads.
            models.Index(
                fields=["closed_at", "neighbor"],
                condition=Q(status__in=sorted(CLOSED)),
                name="request_closed",
            ),
            # The queue filtered by another status (claimed), and the follow-ups.
            models.Index(fields=["status", "pod", "urgency", "created_at"]),
            models.Index(fields=["status", "urgency", "created_at"]),
            # Newest or oldest first: the admin's list, what needs attention, reports.
            models.Index(fields=["created_at", "id"], name="request_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="request_urgency_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="request_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGE_CODES), name="request_language_valid"
            ),
            # Closed exactly when the status is an outcome.
            models.CheckConstraint(
                condition=Q(status__in=sorted(CLOSED), closed_at__isnull=False)
                | (~Q(status__in=sorted(CLOSED)) & Q(closed_at__isnull=True)),
                name="request_closed_at_matches_status",
            ),
        ]
        permissions = [
            ("triage_request", _("Can triage, reassign and reopen requests")),
            ("view_contact_details", _("Can see any neighbor's contact details")),
            ("export_requests", _("Can export requests without contact details")),
            ("export_contact_details", _("Can export requests with contact details")),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_closed(self):
        return self.status in CLOSED

    @property
    def status_for_neighbor(self):
        return STATUS_FOR_NEIGHBOR[self.status]

    @property
    def active_claim(self):
        """The claim not yet released, read from the prefetch cache when there is one."""
        return next((claim for claim in self.claims.all() if claim.released_at is None), None)

    # --- Lifecycle ------------------------------------------------------------------
    # Every status change goes through move_to(); the methods below lock the row, move,
    # save only what changed, and record the event, in one transaction.

    def move_to(self, status):
        if status not in ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTransition(self.status, status)
        now = timezone.now()
        self.status = status
        self.status_changed_at = now
        self.closed_at = now if status in CLOSED else None

    move_to.alters_data = True

    def _lock(self):
        """Re-read the status (and when it closed) under a row lock, so two people acting
        at once queue up and the second one sees what the first one did; and the neighbor,
        which a coordinator may have joined into another record meanwhile (a next date is
        made for them)."""
        self.status, self.closed_at, self.neighbor_id = (
            type(self)
            .objects.select_for_update()
            .values_list("status", "closed_at", "neighbor_id")
            .get(pk=self.pk)
        )

    def _save_status(self, *extra_fields):
        self.save(update_fields=["status", "status_changed_at", "closed_at", *extra_fields])

    def record(self, kind, *, by=None, by_neighbor=False, text="", notice=""):
        event = Event.objects.create(
            request=self, kind=kind, actor=by, by_neighbor=by_neighbor, text=text, notice=notice
        )
        if kind in AUDITED_EVENTS:
            AuditEntry.objects.record(
                AUDITED_EVENTS[kind],
                by=by,
                subject=self.reference,
                detail=text if kind == EventKind.CLOSED else "",
            )
        return event

    @transaction.atomic
    def triage(self, *, by, pod, urgency):
        """A point person has looked at it: pod and urgency are set, it is open to claim."""
        self._lock()
        if self.status != RequestStatus.NEW:
            # A stale form must not reopen a claimed or closed request.
            raise InvalidTransition(self.status, RequestStatus.OPEN)
        self.move_to(RequestStatus.OPEN)
        self.pod = pod
        self.urgency = urgency
        self._save_status("pod", "urgency")
        self.record(EventKind.TRIAGED, by=by)

    triage.alters_data = True

    @transaction.atomic
    def offer_to_network(self):
        """Unclaimed in its pod for too long: every volunteer's queue shows it, marked."""
        self.escalated_at = timezone.now()
        self.save(update_fields=["escalated_at"])
        return self.record(EventKind.REMINDER_SENT, notice=Notice.OPEN_TO_NETWORK)

    offer_to_network.alters_data = True

    @transaction.atomic
    def assign_pod(self, pod, *, by):
        """Move the request to another pod (its status stays as it is)."""
        self.pod = pod
        self.save(update_fields=["pod"])
        self.record(EventKind.POD_CHANGED, by=by, text=str(pod))

    assign_pod.alters_data = True

    @transaction.atomic
    def claim(self, volunteer, *, by=None, assigned=False):
        """`volunteer` takes it on. A repeating request's date kept for whoever did the
        last one is theirs to take until then, unless a point person `assigned` it."""
        self._lock()
        if not assigned and self.kept_first and self.offered_to_id != volunteer.pk:
            raise OfferedToSomeoneElse(self.offered_to, self.offered_until)
        self.move_to(RequestStatus.CLAIMED)
        self._save_status()
        claim = Claim.objects.create(request=self, volunteer=volunteer)
        self.record(EventKind.CLAIMED, by=by or volunteer.user)
        return claim

    claim.alters_data = True

    @transaction.atomic
    def release(self, *, by, reason):
        """Give a claimed request back to the pod."""
        self._lock()
        if self.status != RequestStatus.CLAIMED:
            # Only a claim can be released; reopening a closed request is reopen()'s job.
            raise InvalidTransition(self.status, RequestStatus.OPEN)
        self.move_to(RequestStatus.OPEN)
        # Kept first for whoever gives it back: it is not kept for them any more.
        holder = self.claims.active().values_list("volunteer_id", flat=True).first()
        if self.offered_to_id is not None and self.offered_to_id == holder:
            self.offered_to, self.offered_until = None, None
            self._save_status("offered_to", "offered_until")
        else:
            self._save_status()
        self._end_active_claim(reason)
        self.record(EventKind.RELEASED, by=by, text=reason)
        logger.info(
            "Request %s released by %s", self.reference, person(by, nobody="the follow-ups")
        )

    release.alters_data = True

    @property
    def kept_first(self):
        """This date of a repeating request is still kept for whoever did the last one
        (offered_to): nobody else may claim it until offered_until."""
        return bool(
            self.offered_to_id and self.offered_until and self.offered_until > timezone.now()
        )

    @transaction.atomic
    def stop_keeping(self, volunteer, *, by, reason=""):
        """The date kept first for `volunteer` is open to everyone now: they gave back
        everything, or left. True when it was still kept for them."""
        self.status, self.offered_to_id, self.offered_until = (
            type(self)
            .objects.select_for_update()
            .values_list("status", "offered_to", "offered_until")
            .get(pk=self.pk)
        )
        if (
            self.status != RequestStatus.OPEN
            or not self.kept_first
            or self.offered_to_id != volunteer.pk
        ):
            return False
        self.offered_to, self.offered_until = None, None
        self.save(update_fields=["offered_to", "offered_until"])
        self.record(EventKind.RELEASED, by=by, text=reason)
        return True

    stop_keeping.alters_data = True

    @transaction.atomic
    def close(self, outcome, *, by, note="", referral=None, duplicate_of=None):
        """Close with an honest outcome. "Could not help" needs a reason; "duplicate"
        needs the other request."""
        if outcome not in CLOSED:
            raise InvalidTransition(self.status, outcome)
        if outcome == RequestStatus.COULD_NOT_HELP and not note.strip():
            raise ValidationError(
                _("Say why we could not help, so the neighbor hears it honestly."),
                code="reason_required",
            )
        if outcome == RequestStatus.DUPLICATE and (
            duplicate_of is None or duplicate_of.pk == self.pk
        ):
            raise ValidationError(
                _("Give the reference of the other request this one repeats."),
                code="duplicate_of_required",
            )
        if (
            outcome == RequestStatus.UNREACHABLE
            and self.events.filter(kind=EventKind.CONTACT_ATTEMPT).count()
            < settings.UNREACHABLE_AFTER_ATTEMPTS
        ):
            raise ValidationError(
                _("Log your tries to reach the neighbor first (at least %(count)s).")
                % {"count": settings.UNREACHABLE_AFTER_ATTEMPTS},
                code="attempts_required",
            )
        if outcome == RequestStatus.DUPLICATE:
            # Both rows, in id order: two people closing A as a duplicate of B and B of A
            # at once would otherwise leave both closed, each pointing at the other.
            for row in sorted([self, duplicate_of], key=lambda row: row.pk):
                row._lock()
            if duplicate_of.is_closed:
                raise ValidationError(DUPLICATE_OF_CLOSED, code="duplicate_of_closed")
        else:
            self._lock()
        self.move_to(outcome)
        self.outcome_note = note.strip()
        self.referral = referral if outcome == RequestStatus.COULD_NOT_HELP else None
        self.duplicate_of = duplicate_of if outcome == RequestStatus.DUPLICATE else None
        self._save_status("outcome_note", "referral", "duplicate_of")
        self.record(EventKind.CLOSED, by=by, text=outcome)  # a code, shown translated
        self.schedule_next_occurrence()

    close.alters_data = True

    # --- Repeating help -------------------------------------------------------------

    @property
    def series_root(self):
        return self.series if self.series_id else self

    @property
    def repeats(self):
        root = self.series_root
        return bool(root.repeat) and root.repeat_stopped_at is None

    @transaction.atomic
    def set_repeat(self, repeat, *, until=None, first_date=None, by):
        """Make this request the first of a series (or change its rule). Only while it
        is not closed: its next date is made when it closes."""
        self._lock()
        if self.is_closed:
            raise InvalidTransition(self.status, self.status)
        if first_date is not None and first_date != self.due_date:
            # "Date of this one": this request's, whether it starts the series or not.
            self.due_date = first_date
            self.save(update_fields=["due_date"])
        root = self.series_root
        root.repeat = repeat
        root.repeat_until = until
        root.repeat_stopped_at = None
        root.due_date = root.due_date or timezone.localdate()
        root.save(update_fields=["repeat", "repeat_until", "repeat_stopped_at", "due_date"])
        root.record(EventKind.REPEAT_SET, by=by, text=repeat)  # a code, shown translated

    set_repeat.alters_data = True

    @transaction.atomic
    def stop_repeating(self, *, by):
        root = self.series_root
        root.repeat_stopped_at = timezone.now()
        root.save(update_fields=["repeat_stopped_at"])
        root.record(EventKind.REPEAT_STOPPED, by=by)

    stop_repeating.alters_data = True

    def dates_after(self, day):
        """The series' dates after `day`, in order, up to its last date (or without end)."""
        root = self.series_root
        while True:
            try:
                day = next_date(root.repeat, day, anchor_day=root.due_date.day)
            except (OverflowError, ValueError):  # past the last date a calendar has
                return
            if root.repeat_until and day > root.repeat_until:
                return
            yield day

    def coming_dates(self, count):
        """The next `count` dates the series has not reached yet: what the rota offers."""
        root = self.series_root
        if not root.repeats:
            return []
        latest = root.occurrences.aggregate(latest=Max("due_date"))["latest"] or root.due_date
        return list(islice(self.dates_after(latest), count))

    def schedule_next_occurrence(self):
        """When an occurrence closes, the next one is created for its date: first for the
        volunteer who signed up for that date on the rota, otherwise offered for a day to
        whoever did this one (continuity matters), then to the pod."""
        if self.status == RequestStatus.DUPLICATE or not self.repeats or self.due_date is None:
            return None
        root = self.series_root
        # Closed late: the next occurrence is the first date from today, never one already past.
        today = timezone.localdate()
        upcoming = next((day for day in self.dates_after(self.due_date) if day >= today), None)
        if upcoming is None or root.occurrences.filter(due_date=upcoming).exists():
            return None
        # Only someone who can still sign in and help: not a volunteer deactivated, or
        # whose login a coordinator switched off in the admin.
        helpers = _approved_volunteers()
        last_claim = self.claims.filter(volunteer__in=helpers).order_by("-claimed_at").first()
        signup = RotaSignup.objects.filter(
            series=root, date=upcoming, volunteer__in=helpers
        ).first()
        occurrence = create_with_unique_reference(
            Request,
            neighbor_id=self.neighbor_id,
            category_id=self.category_id,
            details=self.details,
            urgency=self.urgency,
            language=self.language,
            pod_id=self.pod_id,
            channel=self.channel,
            status_token=self.status_token,
            series=root,
            due_date=upcoming,
            offered_to=None if signup else (last_claim.volunteer if last_claim else None),
            offered_until=None
            if signup or not last_claim
            else timezone.now() + timedelta(hours=settings.REPEAT_OFFER_HOURS),
        )
        occurrence.record(EventKind.SUBMITTED, text=f"{upcoming:%Y-%m-%d}")
        occurrence.move_to(RequestStatus.OPEN)
        occurrence._save_status()
        if signup:
            occurrence.claim(signup.volunteer)
        return occurrence

    schedule_next_occurrence.alters_data = True

    @property
    def has_outcome_to_tell(self):
        """Closed with an outcome that a person must tell a neighbor without email, told or
        not yet (RequestQuerySet.outcomes_to_tell lists those not told yet)."""
        return (
            self.is_closed
            and self.status not in {RequestStatus.WITHDRAWN, RequestStatus.DUPLICATE}
            and not self.neighbor.email
            and self.neighbor.contact_erased_at is None
        )

    def told_since_closed(self, events):
        """Whether the neighbor was told this close's outcome, from the request's events."""
        return any(
            event.kind == EventKind.TOLD_NEIGHBOR and event.created_at >= self.closed_at
            for event in events
        )

    @transaction.atomic
    def tell_outcome(self, *, by):
        """Someone told a phone-only neighbor how it ended: once per close (a second
        press, or an old page, records nothing more)."""
        self._lock()
        if not self.has_outcome_to_tell:  # reopened, or emailed, since the page was drawn
            raise InvalidTransition(self.status, self.status)
        told = self.events.filter(kind=EventKind.TOLD_NEIGHBOR, created_at__gte=self.closed_at)
        if not told.exists():
            self.record(EventKind.TOLD_NEIGHBOR, by=by)

    @transaction.atomic
    def withdraw(self):
        """The neighbor says they no longer need this."""
        self._lock()
        self.move_to(RequestStatus.WITHDRAWN)
        self.outcome_note = ""
        self._save_status("outcome_note")
        self.record(EventKind.WITHDRAWN, by_neighbor=True)
        # One date withdrawn is not the whole series: point people can stop it.
        self.schedule_next_occurrence()

    withdraw.alters_data = True

    @transaction.atomic
    def reopen(self, *, by, reason=""):
        """A point person brings a closed request back; whoever had it is released."""
        self._lock()
        if self.status not in CLOSED:
            raise InvalidTransition(self.status, RequestStatus.OPEN)
        self.move_to(RequestStatus.OPEN)
        self.outcome_note = ""
        self.referral = None
        self.duplicate_of = None
        self._save_status("outcome_note", "referral", "duplicate_of")
        self._end_active_claim(reason)
        self.record(EventKind.REOPENED, by=by, text=reason)

    reopen.alters_data = True

    def _end_active_claim(self, reason):
        self.claims.active().update(released_at=timezone.now(), release_reason=reason)


class ClaimQuerySet(models.QuerySet):
    def active(self):
        """Claims not released: who holds a request now (one per request at most)."""
        return self.filter(released_at__isnull=True)


def held_by(volunteer):
    """The condition "this volunteer holds the request now", for Request querysets;
    combines with `|` and `&` like a Q."""
    return Exists(Claim.objects.active().filter(request=OuterRef("pk"), volunteer=volunteer))


class Claim(models.Model):
    """A volunteer taking on a request. Released claims stay, as history."""

    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, related_name="claims", verbose_name=_("request")
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("volunteer"),
    )
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    release_reason = models.CharField(_("why released"), max_length=500, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            # The backstop under the row lock: never two volunteers on one request.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(released_at__isnull=True),
                name="one_active_claim_per_request",
            )
        ]
        indexes = [models.Index(fields=["volunteer", "released_at"])]

    def __str__(self):
        return f"{self.request} / {self.volunteer}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged")
    CLAIMED = "claimed", pgettext_lazy("event", "Claimed")
    RELEASED = "released", _("Released")
    NOTE = "note", _("Note")
    MESSAGE_TO_NEIGHBOR = "msg_out", _("Message to the neighbor")
    MESSAGE_FROM_NEIGHBOR = "msg_in", _("Message from the neighbor")
    CLOSED = "closed", _("Outcome")
    WITHDRAWN = "withdrawn", pgettext_lazy("event", "Withdrawn by the neighbor")
    REOPENED = "reopened", _("Reopened")
    CONTACT_VIEWED = "contact", _("Contact details viewed")
    CONTACT_ERASED = "erased", _("Contact details erased")
    REMINDER_SENT = "reminder", _("Reminder sent")
    CONTACT_ATTEMPT = "attempt", _("Tried to reach the neighbor")
    REASSIGNED = "reassign", _("Reassigned")
    MATCHED = "matched", _("Connected with an offer")
    TOLD_NEIGHBOR = "told", _("Told the neighbor by phone")
    POD_CHANGED = "pod", _("Moved to another pod")
    CONTACT_EXPORTED = "exported", _("Contact details exported")
    REPEAT_STOPPED = "nomore", _("Stopped repeating")
    REPEAT_SET = "repeat", _("Set to repeat")
    NEIGHBOR_MERGED = "merged", _("Joined with another record of the same neighbor")


class AuditAction(models.TextChoices):
    CONTACT_VIEWED = "viewed", _("Contact details viewed")
    EXPORTED = "exported", _("Requests exported")
    CONTACT_EXPORTED = "exp_contact", _("Contact details exported")
    OUTCOME = "outcome", _("Outcome set")
    REOPENED = "reopened", _("Reopened")
    CONTACT_ERASED = "erased", _("Contact details erased")
    KEPT_LONGER = "kept", _("Contact details kept longer")
    SIGNED_IN = "signed_in", _("Signed in")
    SIGN_IN_FAILED = "failed", _("Sign-in failed")
    SIGN_IN_REFUSED = "locked", _("Sign-in refused after too many tries")
    TWO_FACTOR_SET_UP = "2fa_setup", _("Two-step sign-in set up")
    TWO_FACTOR_FAILED = "2fa_failed", _("Two-step code wrong")
    VOLUNTEER_DEACTIVATED = "deactivated", _("Volunteer deactivated")
    REMOVED_FROM_POD = "left_pod", _("Removed from a pod")
    NEIGHBORS_MERGED = "merged", _("Neighbor records joined")


# What also goes on the audit trail that coordinators read (AuditEntry, below).
AUDITED_EVENTS = {
    EventKind.CONTACT_VIEWED: AuditAction.CONTACT_VIEWED,
    EventKind.CONTACT_EXPORTED: AuditAction.CONTACT_EXPORTED,
    EventKind.CLOSED: AuditAction.OUTCOME,
    EventKind.REOPENED: AuditAction.REOPENED,
}


class Notice(models.TextChoices):
    """The follow-up notices, each recorded once on the timeline (run_followups)."""

    NEW_TO_POINT_PEOPLE = "new_pod", _("Still new: point people told")
    NEW_TO_COORDINATORS = "new_coord", _("Still new: coordinators told")
    OPEN_TO_NETWORK = "network", _("Offered to the whole network")
    CLAIM_REMINDER = "claim_6d", _("Reminder to the volunteer")
    CLAIM_RELEASED = "claim_9d", _("Released after no activity")
    MESSAGE_UNANSWERED = "msg_24h", _("Neighbor's message unanswered")


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are added and never changed or removed: the timeline, the audit trail."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: never updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: never deleted.")


class AppendOnly(models.Model):
    """A model whose rows are added and never changed or removed, one by one or in bulk
    (its manager must use AppendOnlyQuerySet)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only: never deleted.")


# Messages between the neighbor and whoever helps, both ways: what a neighbor sees of
# the timeline, and what a volunteer can translate under it.
MESSAGE_KINDS = frozenset({EventKind.MESSAGE_FROM_NEIGHBOR, EventKind.MESSAGE_TO_NEIGHBOR})


class EventQuerySet(AppendOnlyQuerySet):
    def conversation(self):
        """The messages (MESSAGE_KINDS), with their translations."""
        return self.filter(kind__in=sorted(MESSAGE_KINDS)).prefetch_related("translations")

    def erase_what_people_wrote(self):
        """The one exception to append-only: when a neighbor's details are erased, what
        people wrote on their timeline goes too (it can name or place them). What
        happened, who did it and when stay; codes the app wrote stay."""
        written = self.exclude(text="").exclude(notice__gt="")
        codes = Q(kind=EventKind.CLOSED, text__in=RequestStatus.values) | Q(
            kind=EventKind.REPEAT_SET, text__in=Repeat.values
        )
        return models.QuerySet.update(written.exclude(codes), text="")


class Event(ChoiceLabels, AppendOnly):
    """The timeline and audit trail of a request. Append-only: the app only ever adds."""

    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, related_name="events", verbose_name=_("request")
    )
    kind = models.CharField(_("what happened"), max_length=10, choices=EventKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    by_neighbor = models.BooleanField(_("by the neighbor"), default=False)
    text = models.TextField(_("text"), max_length=4000, blank=True)
    notice = models.CharField(_("notice"), max_length=10, choices=Notice, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"]),
            # Newest first across the network: the admin's timeline, paged by a cursor.
            models.Index(fields=["created_at", "id"], name="event_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid")
        ]

    def __str__(self):
        return f"{self.request_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_message(self):
        return self.kind in MESSAGE_KINDS

    @property
    def shown_text(self):
        """What the timeline shows: codes the app wrote are translated for the reader;
        what people wrote is shown as they wrote it."""
        if self.notice:
            return self.get_notice_display()
        if self.kind == EventKind.CLOSED and self.text in RequestStatus.values:
            return RequestStatus(self.text).label
        if self.kind == EventKind.REPEAT_SET and self.text in Repeat.values:
            return Repeat(self.text).label
        return self.text

    @property
    def written_by_a_person(self):
        return not (
            self.notice
            or (self.kind == EventKind.CLOSED and self.text in RequestStatus.values)
            or (self.kind == EventKind.REPEAT_SET and self.text in Repeat.values)
        )


class OfferStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("offer status", "Available")
    PAUSED = "paused", pgettext_lazy("offer status", "Paused")
    FINISHED = "finished", pgettext_lazy("offer status", "Finished")


OFFER_TRANSITIONS = {
    OfferStatus.AVAILABLE: frozenset({OfferStatus.PAUSED, OfferStatus.FINISHED}),
    OfferStatus.PAUSED: frozenset({OfferStatus.AVAILABLE, OfferStatus.FINISHED}),
    OfferStatus.FINISHED: frozenset(),
}


class OfferQuerySet(models.QuerySet):
    def standing(self, today=None):
        """Offers someone may still take up: available or paused, and not past their
        end date. Only these keep their texts when a neighbor's details are erased."""
        today = today or timezone.localdate()
        return self.filter(status__in=[OfferStatus.AVAILABLE, OfferStatus.PAUSED]).filter(
            Q(until__isnull=True) | Q(until__gte=today)
        )

    def available(self):
        return self.standing().filter(status=OfferStatus.AVAILABLE)


class Offer(ChoiceLabels, models.Model):
    """What a neighbor or volunteer can give: a ride on Tuesdays, a community fridge."""

    reference = models.CharField(
        _("reference"), max_length=7, unique=True, default=new_reference, editable=False
    )
    # Shared by the offers of one submission: the private link to pause or end them.
    token = models.CharField(max_length=64, default=new_token, editable=False, db_index=True)
    neighbor = models.ForeignKey(
        Neighbor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers",
        limit_choices_to={"contact_erased_at__isnull": True},  # as Request.neighbor
        verbose_name=_("neighbor"),
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name=_("volunteer"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="offers", verbose_name=_("kind of help")
    )
    details = models.TextField(_("details"), max_length=2000, blank=True)
    availability = models.CharField(_("when you are available"), max_length=200, blank=True)
    pod = models.ForeignKey(
        "volunteers.Pod",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
        limit_choices_to={"active": True},
        verbose_name=_("pod"),
    )
    area = models.CharField(_("area"), max_length=200, blank=True)
    languages = LanguagesField(_("languages"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OfferStatus, default=OfferStatus.AVAILABLE
    )
    until = models.DateField(_("until"), null=True, blank=True)
    serves_many = models.BooleanField(
        _("can help many people"),
        default=False,
        help_text=_("For example a community fridge, rather than a single ride."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, editable=False)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("noun: something a neighbor can give", "offer")
        verbose_name_plural = pgettext_lazy("noun: something a neighbor can give", "offers")
        indexes = [models.Index(fields=["status", "category", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OfferStatus.values), name="offer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(neighbor__isnull=False) | Q(volunteer__isnull=False),
                name="offer_has_a_giver",
            ),
        ]

    def __str__(self):
        return self.reference

    @transaction.atomic
    def move_to(self, status):
        """Pause, take up again or end: from the status read under a row lock, so a page
        drawn before the offer ended (or its giver's details were deleted) cannot bring
        it back."""
        self.status, self.ended_at = (
            type(self).objects.select_for_update().values_list("status", "ended_at").get(pk=self.pk)
        )
        if status not in OFFER_TRANSITIONS[self.status]:
            raise InvalidTransition(self.status, status)
        self.status = status
        if status == OfferStatus.FINISHED:
            self.ended_at = timezone.now()
        self.save(update_fields=["status", "ended_at"])

    move_to.alters_data = True


class Resource(models.Model):
    """A community resource in the public directory: a pantry, a fridge, a hotline."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    categories = models.ManyToManyField(
        Category, related_name="resources", blank=True, verbose_name=_("helps with")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # A link on a public page: only a web address, never javascript: or data:.
    website = models.URLField(
        _("website"), blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            # Holds for rows written any way at all (an import, a shell), not only forms.
            models.CheckConstraint(
                condition=Q(website="")
                | Q(website__istartswith="http://")
                | Q(website__istartswith="https://"),
                name="resource_website_is_a_web_address",
                violation_error_message=URLValidator.message,
            )
        ]

    def __str__(self):
        return self.name


def create_with_unique_reference(model, **fields):
    """Insert a row whose random reference might, once in a billion, collide: retry."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return model.objects.create(reference=new_reference(), **fields)
        except IntegrityError as error:
            if "reference" not in str(error):
                raise
    raise IntegrityError("Could not find a free reference after 5 attempts.")


class RotaSignup(models.Model):
    """A volunteer takes a coming date of a repeating request."""

    series = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="rota", verbose_name=_("series")
    )
    date = models.DateField(_("date"))
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.CASCADE,
        related_name="rota_signups",
        verbose_name=_("volunteer"),
    )

    class Meta:
        verbose_name = _("rota sign-up")
        verbose_name_plural = _("rota sign-ups")
        constraints = [
            models.UniqueConstraint(fields=["series", "date"], name="one_volunteer_per_rota_date")
        ]

    def __str__(self):
        return f"{self.series} {self.date}"


class RateLimitBucket(models.Model):
    """A token bucket per (hashed) address: see antispam.take_token."""

    key = models.CharField(max_length=120, primary_key=True)
    tokens = models.FloatField()
    updated_at = models.FloatField()  # seconds since the epoch, for portable arithmetic

    class Meta:
        verbose_name = _("rate limit bucket")
        verbose_name_plural = _("rate limit buckets")

    def __str__(self):
        return self.key


class Translation(models.Model):
    """A volunteer's translation of a request's details or of a message. The original
    always stays exactly as it was written; this is shown next to it."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="translations", verbose_name=_("request")
    )
    # Set for a message's translation; empty for the request's details.
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("message"),
    )
    language = models.CharField(_("language"), max_length=7, choices=settings.LANGUAGES)
    text = models.TextField(_("translation"), max_length=4000)
    translator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("translated by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("volunteer's translation")
        verbose_name_plural = _("volunteers' translations")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=LANGUAGE_CODES), name="translation_language_valid"
            )
        ]

    def __str__(self):
        return f"{self.request} ({self.language})"


class AuditEntryManager(models.Manager.from_queryset(AppendOnlyQuerySet)):
    def record(self, action, *, by=None, subject="", detail=""):
        """One line of the audit trail: who, what, when, about which record. Never a
        phone number, email or address: `subject` is a reference or a record number."""
        entry = self._entry(action, by=by, subject=subject, detail=detail)
        entry.save()
        return entry

    def record_each(self, action, subjects, *, by=None, detail=""):
        """The same line for each of `subjects`, in one INSERT."""
        return self.bulk_create(
            self._entry(action, by=by, subject=subject, detail=detail) for subject in subjects
        )

    def _entry(self, action, *, by=None, subject="", detail=""):
        return self.model(
            action=action,
            actor=by if by is not None and by.pk else None,
            username=(by.get_username() if by is not None else "")[:150],
            subject=str(subject)[:40],
            detail=str(detail)[:200],
        )


class AuditEntry(ChoiceLabels, AppendOnly):
    """Who looked at or changed what: contact details seen and exported, outcomes,
    erasures, sign-ins. Append-only; coordinators read it in the admin."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("what"), max_length=12, choices=AuditAction)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept as written at the time, so the trail still reads after an account is deleted.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    subject = models.CharField(_("about"), max_length=40, blank=True, db_index=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    objects = AuditEntryManager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["action", "at"]),
            # Newest first, the admin's audit trail paged by a cursor; and by age, what
            # retention deletes.
            models.Index(fields=["at", "id"], name="audit_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_action_valid"
            )
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.subject}"
