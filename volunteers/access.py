"""Who may see and do what in the workspace, decided in one place.

- Any approved volunteer sees requests (never contact details) and may claim open ones.
- Contact details: the volunteer who claimed the request; the request's pod's point
  people when the neighbor agreed to that; coordinators. Only through
  reveal_contact_details, which records every look.
- Point people triage, reassign and reopen their pod's requests; coordinators any.
- The claimer, the pod's point people and coordinators release, message and close.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from requests_app.models import EventKind, Request, RequestStatus
from volunteers.middleware import SIGNED_IN_AT
from volunteers.models import Volunteer
from waltham_aid.logs import person

COORDINATOR_GROUP = "Coordinator"

logger = logging.getLogger(__name__)


def is_coordinator(user):
    return user.is_superuser or any(group.name == COORDINATOR_GROUP for group in user.groups.all())


@dataclass(frozen=True)
class Role:
    """One volunteer's standing, read once per page: their pods and the pods they lead."""

    volunteer: Volunteer
    pod_ids: frozenset
    led_pod_ids: frozenset
    coordinator: bool

    def claimed(self, aid_request):
        claim = aid_request.active_claim
        return claim is not None and claim.volunteer_id == self.volunteer.pk

    def leads(self, aid_request):
        return aid_request.pod_id is not None and aid_request.pod_id in self.led_pod_ids

    def can_see_contact(self, aid_request):
        if self.coordinator:
            return True
        if not _contact_still_needed(aid_request):
            return False
        return self.claimed(aid_request) or (
            self.leads(aid_request) and aid_request.neighbor.share_with_point_people
        )

    def can_tell_outcome(self, aid_request):
        """Tell a phone-only neighbor how it ended: an outcome to tell, and someone who
        may reach them now."""
        return aid_request.has_outcome_to_tell and self.can_see_contact(aid_request)

    def outcomes_to_tell(self, requests):
        """The outcomes this person can still tell (can_tell_outcome, as a query over
        `requests`): a coordinator, the whole network's, however old."""
        if self.coordinator:
            return requests.outcomes_to_tell()
        return requests.outcomes_to_tell_by(
            self.volunteer, led_pod_ids=self.led_pod_ids, closed_since=_contact_needed_since()
        )

    def can_manage(self, aid_request):
        """Release, message, note attempts, close: the claimer and those who run the pod."""
        return self.coordinator or self.claimed(aid_request) or self.leads(aid_request)

    def can_triage(self, aid_request):
        """Set pod and urgency, reassign, reopen: point people of the pod, or of no pod yet."""
        return (
            self.coordinator
            or self.leads(aid_request)
            or (aid_request.pod_id is None and bool(self.led_pod_ids))
        )


def _contact_still_needed(aid_request):
    """Helpers need a neighbor's details while they help, and for a few days after, to
    tell them how it ended; never once the neighbor withdrew."""
    if not aid_request.is_closed:
        return True
    if aid_request.status == RequestStatus.WITHDRAWN:
        return False
    return aid_request.closed_at > _contact_needed_since()


def _contact_needed_since():
    """Requests closed before this no longer open their neighbor's details to helpers."""
    return timezone.now() - timedelta(days=settings.CONTACT_AFTER_CLOSE_DAYS)


def role_for(user):
    """The signed-in approved volunteer's role, or 404 for anyone else.

    One query on every workspace page: the volunteer with their login, whether they are
    in the Coordinator group, and one row per (pod, pod led) pair. A volunteer is in a
    few pods and leads fewer, so the rows stay a handful."""
    in_coordinator_group = Exists(
        get_user_model().groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name=COORDINATOR_GROUP
        )
    )
    rows = list(
        Volunteer.objects.approved()
        .filter(user=user)
        .select_related("user")
        .annotate(
            member_of=F("pods"), leading=F("pods_led"), in_coordinator_group=in_coordinator_group
        )
    )
    if not rows:
        raise Http404
    volunteer = rows[0]
    return Role(
        volunteer=volunteer,
        pod_ids=frozenset(row.member_of for row in rows if row.member_of is not None),
        led_pod_ids=frozenset(row.leading for row in rows if row.leading is not None),
        coordinator=volunteer.user.is_superuser or volunteer.in_coordinator_group,
    )


def needs_second_step(user, *, coordinator=None):
    """Staff and coordinators, who can see and export everyone's contact details, also
    sign in with a code from their phone (TOTP, django-otp) before they see anything.
    `coordinator`: already known (from the role), so the groups are not read again."""
    if not user.is_authenticated:
        return False
    if not user.is_staff and not (is_coordinator(user) if coordinator is None else coordinator):
        return False  # is_staff first: it saves reading the groups
    return not user.is_verified()


def second_step_url(next_url):
    """The two-step page, coming back to `next_url` after it."""
    return f"{reverse('volunteers:two_factor')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def session_outdated(request, volunteer):
    """Removed from a pod (or deactivated) since this session signed in: it ends now."""
    changed = volunteer.access_changed_at
    signed_in_at = request.session.get(SIGNED_IN_AT)
    return changed is not None and (signed_in_at is None or signed_in_at < changed.timestamp())


def volunteer_required(view):
    """Signed in, and an approved volunteer: the view gets the role as `role`."""

    @login_required
    def wrapped(request, *args, **kwargs):
        role = role_for(request.user)
        if session_outdated(request, role.volunteer):
            logout(request)
            return redirect_to_login(request.get_full_path())
        if needs_second_step(request.user, coordinator=role.coordinator):
            return redirect(second_step_url(request.get_full_path()))
        return view(request, *args, role=role, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def staff_page(permission):
    """A coordinators' page outside the admin (flyers, reports): staff with this
    permission, past the second sign-in step. Anyone else gets a 404."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise Http404
            if needs_second_step(user):
                return redirect(second_step_url(request.get_full_path()))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_request_for(role, reference):
    """A request a volunteer may open. Every approved volunteer may read any request's
    details (never contact details); a wrong reference is a 404."""
    return get_object_or_404(
        Request.objects.select_related(
            "category", "pod", "neighbor", "referral"
        ).with_active_claim(),
        reference=reference,
    )


# No repr: Django logs a failed template lookup at DEBUG with the whole context, and a
# dataclass's repr would write every detail into that log line.
@dataclass(frozen=True, repr=False)
class ContactCard:
    name: str
    phone: str
    email: str
    whatsapp_ok: bool
    preferred_contact: str
    best_time: str
    address: str
    language: str


def reveal_contact_details(role, aid_request):
    """The only way contact details reach a page: checked, and recorded on the timeline
    with who looked and when. None when this volunteer may not see them."""
    if not role.can_see_contact(aid_request):
        return None
    neighbor = aid_request.neighbor
    aid_request.record(EventKind.CONTACT_VIEWED, by=role.volunteer.user)
    logger.info(
        "Contact details of request %s viewed by %s", aid_request.reference, person(role.volunteer)
    )
    return ContactCard(
        name=neighbor.name,
        phone=neighbor.phone,
        email=neighbor.email,
        whatsapp_ok=neighbor.whatsapp_ok,
        preferred_contact=neighbor.get_preferred_contact_display(),
        best_time=neighbor.best_time,
        address=neighbor.address,
        language=neighbor.get_language_display(),
    )
