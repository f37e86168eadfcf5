import logging

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from requests_app.models import (
    CLOSED,
    AuditAction,
    AuditEntry,
    Claim,
    EventKind,
    InvalidTransition,
    Offer,
    OfferedToSomeoneElse,
    OfferStatus,
    Request,
    RequestStatus,
)
from requests_app.services import email_neighbor
from volunteers.models import Volunteer
from waltham_aid.logs import person

VOLUNTEER_GROUP = "Volunteer"
POINT_PERSON_GROUP = "Point person"

# Who did what to which record: references, user names and record numbers, never a
# neighbor's name, phone, email or address.
logger = logging.getLogger(__name__)


@transaction.atomic
def sign_up(*, name, email, phone, languages, pods, categories, availability, language):
    """A pending volunteer: no account and no access until a coordinator approves.
    Signing up twice with the same email updates the pending sign-up."""
    volunteer = (
        Volunteer.objects.select_for_update()
        .pending()
        .filter(email__iexact=email)
        .order_by("pk")
        .first()
    ) or Volunteer(email=email.lower())
    volunteer.name = name
    volunteer.phone = phone
    volunteer.languages = list(languages)
    volunteer.availability = availability
    volunteer.language = language
    volunteer.agreed_to_privacy_at = timezone.now()
    volunteer.save()
    volunteer.pods.set(pods)
    volunteer.categories.set(categories)
    return volunteer


# --- The workspace ---------------------------------------------------------------------


class AlreadyTaken(Exception):
    """Someone else claimed the request a moment earlier (or it is closed)."""

    def __init__(self, holder=None):
        self.holder = holder  # the Volunteer who has it, or None when it is closed
        super().__init__(str(holder))


def claim_request(aid_request, *, volunteer, by=None):
    """Take on a request. The model's row lock makes two simultaneous claims queue up:
    the second sees 'claimed' and gets AlreadyTaken, naming who has it."""
    try:
        claim = aid_request.claim(volunteer, by=by)
    except OfferedToSomeoneElse:
        raise
    except InvalidTransition:
        holder = (
            Claim.objects.active().filter(request=aid_request).select_related("volunteer").first()
        )
        raise AlreadyTaken(holder.volunteer if holder else None) from None
    logger.info("Request %s claimed by %s", aid_request.reference, person(volunteer))
    return claim


@transaction.atomic
def reassign_claim(aid_request, *, to, by):
    """A point person gives a request to another volunteer, in one step."""
    if aid_request.status == RequestStatus.CLAIMED:
        # No words of ours in the reason: they would stay in this person's language. The
        # REASSIGNED event below names who has it, translated for each reader.
        aid_request.release(by=by, reason="")
    aid_request.claim(to, by=by, assigned=True)
    aid_request.record(EventKind.REASSIGNED, by=by, text=to.name)
    logger.info("Request %s reassigned to %s by %s", aid_request.reference, person(to), person(by))


def message_neighbor(aid_request, *, by, text):
    """Write to the neighbor: it shows on their status page, and goes by email when they
    gave one. Returns True when emailed; otherwise someone must tell them by phone."""
    aid_request.record(EventKind.MESSAGE_TO_NEIGHBOR, by=by, text=text)
    neighbor = aid_request.neighbor
    if not neighbor.email:
        return False
    transaction.on_commit(
        lambda: email_neighbor(
            neighbor,
            "volunteers/email/message",
            status_token=aid_request.status_token,
            aid_request=aid_request,
            text=text,
        ),
        robust=True,
    )
    return True


@transaction.atomic
def connect_offer(offer, aid_request, *, volunteer):
    """Link an offer to a request: the request is claimed for the volunteer (unless it
    is already theirs) and a single-use offer is marked finished."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != OfferStatus.AVAILABLE:
        raise InvalidTransition(offer.status, OfferStatus.FINISHED)
    # Closed meanwhile (its claim stays on it): the offer is not used up on it.
    status = Request.objects.select_for_update().values_list("status", flat=True)
    if status.get(pk=aid_request.pk) in CLOSED:
        raise AlreadyTaken(None)
    active = aid_request.active_claim
    if active is None or active.volunteer_id != volunteer.pk:
        claim_request(aid_request, volunteer=volunteer)
    aid_request.matched_offer = offer
    aid_request.save(update_fields=["matched_offer"])
    aid_request.record(EventKind.MATCHED, by=volunteer.user, text=offer.reference)
    if not offer.serves_many:
        offer.move_to(OfferStatus.FINISHED)


# --- Coordinators ----------------------------------------------------------------------


class LoginTaken(Exception):
    """A login already uses this sign-up's email, as its user name or its email: someone
    who volunteered before and signed up again, or signed up twice."""

    def __init__(self, login):
        self.login = login
        self.volunteer = getattr(login, "volunteer", None)  # whose login it is, if anyone's
        super().__init__(f"user {login.pk}")


def _login_using(username, email):
    same = Q(username__iexact=username) | (Q(email__iexact=email) if email else Q())
    return User.objects.filter(same).select_related("volunteer").order_by("pk").first()


@transaction.atomic
def approve_volunteer(volunteer, *, by):
    """A coordinator vouches for a sign-up: create the login, join the Volunteer group,
    and email a link to choose a password, in the volunteer's language. Raises
    LoginTaken, changing nothing, when a login already uses their email."""
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    if volunteer.approved_at is not None:
        return volunteer
    username = volunteer.email or f"volunteer-{volunteer.pk}"
    if taken := _login_using(username, volunteer.email):
        raise LoginTaken(taken)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, email=volunteer.email, first_name=volunteer.name[:150]
            )
    except IntegrityError:
        # Another coordinator approved a sign-up with the same email a moment ago: the
        # unique user name is the backstop.
        raise LoginTaken(_login_using(username, volunteer.email)) from None
    user.groups.add(Group.objects.get_or_create(name=VOLUNTEER_GROUP)[0])
    volunteer.user = user
    volunteer.approved_at = timezone.now()
    volunteer.save(update_fields=["user", "approved_at"])
    if volunteer.email:
        transaction.on_commit(lambda: send_welcome(volunteer), robust=True)
    return volunteer


def send_welcome(volunteer):
    user = volunteer.user
    with translation.override(volunteer.language):
        path = reverse(
            "volunteers:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {
            "volunteer": volunteer,
            "username": user.username,
            "link": f"{settings.SITE_URL}{path}",
            "NETWORK_NAME": settings.NETWORK_NAME,
        }
        message = EmailMultiAlternatives(
            subject=render_to_string("volunteers/email/approved_subject.txt", context).strip(),
            body=render_to_string("volunteers/email/approved.txt", context),
            to=[volunteer.email],
        )
        message.send()


@transaction.atomic
def decline_volunteer(volunteer):
    """Decline a pending sign-up: nothing about them is kept, not even the admin's history
    of their sign-up (each line names them), as an erasure empties a neighbor's."""
    if volunteer.approved_at is not None:
        raise ValueError("Only a pending sign-up can be declined.")
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Volunteer), object_id=str(volunteer.pk)
    ).delete()
    volunteer.pods.clear()
    volunteer.categories.clear()
    volunteer.delete()


@transaction.atomic
def give_back_everything(volunteer, *, by, reason=""):
    """Every request `volunteer` holds goes back to its pod (Request.release), and every
    date of a repeating request kept first for them is open to everyone at once
    (Request.stop_keeping), with `reason` on each timeline. In request order, like every
    change that locks several requests. Returns the requests given back; one closed or
    taken meanwhile is left as it is."""
    held = set(
        Claim.objects.active()
        .filter(volunteer=volunteer, request__status=RequestStatus.CLAIMED)
        .values_list("request_id", flat=True)
    )
    kept = Request.objects.filter(
        offered_to=volunteer, offered_until__gt=timezone.now(), status=RequestStatus.OPEN
    )
    given_back = []
    for aid_request in Request.objects.filter(Q(pk__in=held) | Q(pk__in=kept)).order_by("pk"):
        if aid_request.pk in held:
            try:
                aid_request.release(by=by, reason=reason)
            except InvalidTransition:
                continue
        elif not aid_request.stop_keeping(volunteer, by=by, reason=reason):
            continue
        given_back.append(aid_request)
    return given_back


@transaction.atomic
def deactivate_volunteer(volunteer, *, by):
    """A volunteer who leaves: their login stops working at once (every open session
    with it), the requests they held or were kept first for go back to their pods, the
    dates they took on a rota are free for others, and they lead no pod."""
    give_back_everything(volunteer, by=by)
    volunteer.rota_signups.filter(date__gte=timezone.localdate()).delete()
    volunteer.pods_led.clear()
    if volunteer.user_id:
        volunteer.user.is_active = False
        volunteer.user.save(update_fields=["is_active"])
    volunteer.end_sessions()
    AuditEntry.objects.record(
        AuditAction.VOLUNTEER_DEACTIVATED, by=by, subject=volunteer.audit_name
    )
    logger.info("%s deactivated by %s", person(volunteer), person(by))
    sync_point_person_group()


def sync_point_person_group():
    """The Point person group is exactly the people who lead a pod."""
    group, _created = Group.objects.get_or_create(name=POINT_PERSON_GROUP)
    group.user_set.set(User.objects.filter(volunteer__pods_led__isnull=False).distinct())
