"""Who may do what in the workspace: every action, every role, judged by what changed."""

import pytest
from django.test import Client
from django.urls import reverse

from requests_app.models import EventKind, Request, RequestStatus
from tests.factories import make_neighbor, make_pod, make_request, make_volunteer, sign_in

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "volunteer_elsewhere",
    "volunteer_in_pod",
    "claimer",
    "point_person",
    "coordinator",
]


@pytest.fixture
def cast(pod):
    elsewhere = make_pod("Elsewhere")
    point = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    pod.point_people.add(point)
    return {
        "anonymous": None,
        "volunteer_elsewhere": make_volunteer("Eli", pods=[elsewhere]),
        "volunteer_in_pod": make_volunteer("Ivo", pods=[pod]),
        "claimer": make_volunteer("Cleo", pods=[pod]),
        "point_person": point,
        "coordinator": make_volunteer("Maria", groups=["Coordinator"]),
        "someone": make_volunteer("Sam", pods=[pod]),
    }


def request_in(state, pod, cast):
    aid_request = make_request(neighbor=make_neighbor(share_with_point_people=True), pod=pod)
    if state == "new":
        return aid_request
    aid_request.triage(by=None, pod=pod, urgency=2)
    if state in {"claimed", "closed"}:
        aid_request.claim(cast["claimer"])
    if state == "closed":
        aid_request.close(RequestStatus.FULFILLED, by=None)
    return aid_request


def status_of(aid_request):
    return Request.objects.get(pk=aid_request.pk).status


# action: (state before, what is posted, did it happen?, roles allowed)
ACTIONS = {
    "claim": (
        "open",
        {},
        lambda r, c: status_of(r) == RequestStatus.CLAIMED,
        {"volunteer_elsewhere", "volunteer_in_pod", "claimer", "point_person", "coordinator"},
    ),
    "release": (
        "claimed",
        {"reason": "busy"},
        lambda r, c: status_of(r) == RequestStatus.OPEN,
        {"claimer", "point_person", "coordinator"},
    ),
    "close": (
        "claimed",
        {"outcome": "fulfilled"},
        lambda r, c: status_of(r) == RequestStatus.FULFILLED,
        {"claimer", "point_person", "coordinator"},
    ),
    "message": (
        "claimed",
        {"text": "hi"},
        lambda r, c: r.events.filter(kind=EventKind.MESSAGE_TO_NEIGHBOR).exists(),
        {"claimer", "point_person", "coordinator"},
    ),
    "attempt": (
        "claimed",
        {"text": "no answer"},
        lambda r, c: r.events.filter(kind=EventKind.CONTACT_ATTEMPT).exists(),
        {"claimer", "point_person", "coordinator"},
    ),
    "triage": (
        "new",
        "pod",
        lambda r, c: status_of(r) == RequestStatus.OPEN,
        {"point_person", "coordinator"},
    ),
    "reassign": (
        "claimed",
        "someone",
        lambda r, c: Request.objects.get(pk=r.pk).active_claim.volunteer == c["someone"],
        {"point_person", "coordinator"},
    ),
    "reopen": (
        "closed",
        {"reason": "still needed"},
        lambda r, c: status_of(r) == RequestStatus.OPEN,
        {"point_person", "coordinator"},
    ),
}


def client_for(role, cast):
    client = Client()
    if cast[role] is not None:
        sign_in(client, cast[role].user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_is_allowed_exactly_for_its_roles(pod, cast, role, action):
    state, data, happened, allowed = ACTIONS[action]
    aid_request = request_in(state, pod, cast)
    if data == "pod":
        data = {"pod": pod.pk, "urgency": 1}
    elif data == "someone":
        data = {"volunteer": cast["someone"].pk}

    response = client_for(role, cast).post(
        reverse(f"volunteers:{action}", args=[aid_request.reference]), data
    )

    assert response.status_code == 302
    assert happened(aid_request, cast) == (role in allowed)
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]


CONTACT_ALLOWED = {"claimer", "point_person", "coordinator"}


@pytest.mark.parametrize("role", ROLES)
def test_contact_details_are_shown_and_recorded_exactly_for_who_needs_them(pod, cast, role):
    aid_request = request_in("claimed", pod, cast)
    aid_request.neighbor.phone = "+16175550142"
    aid_request.neighbor.save()

    response = client_for(role, cast).get(
        reverse("volunteers:contact", args=[aid_request.reference])
    )

    shown = response.status_code == 200 and "+16175550142" in response.content.decode()
    assert shown == (role in CONTACT_ALLOWED)
    assert aid_request.events.filter(kind=EventKind.CONTACT_VIEWED).exists() == shown


PAGES = ["queue", "my_work", "take_request"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_workspace_pages_are_for_approved_volunteers_only(cast, role, page):
    response = client_for(role, cast).get(reverse(f"volunteers:{page}"))
    assert response.status_code == (302 if role == "anonymous" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_the_request_page_never_shows_contact_details(pod, cast, role):
    aid_request = request_in("claimed", pod, cast)
    neighbor = aid_request.neighbor
    neighbor.phone, neighbor.address = "+16175550142", "77 Sentinel St"
    neighbor.save()
    response = client_for(role, cast).get(
        reverse("volunteers:request", args=[aid_request.reference])
    )
    html = response.content.decode()
    assert "5550142" not in html
    assert "Sentinel" not in html


def test_a_signed_in_user_without_an_approved_volunteer_profile_gets_404(pod):
    from tests.factories import make_user

    client = Client()
    sign_in(client, make_user("stranger"))
    assert client.get(reverse("volunteers:queue")).status_code == 404


def test_actions_need_the_csrf_token(pod, cast):
    aid_request = request_in("open", pod, cast)
    client = Client(enforce_csrf_checks=True)
    sign_in(client, cast["volunteer_in_pod"].user)
    response = client.post(reverse("volunteers:claim", args=[aid_request.reference]))
    assert response.status_code == 403
    assert status_of(aid_request) == RequestStatus.OPEN
