"""A request moves new -> open -> claimed -> closed with an outcome, and nowhere else."""

import inspect
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from requests_app.models import (
    ALLOWED_TRANSITIONS,
    CLOSED,
    Claim,
    Event,
    EventKind,
    InvalidTransition,
    Offer,
    Request,
    RequestStatus,
    Urgency,
)
from tests.factories import make_pod, make_request, make_resource, make_user, make_volunteer

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(RequestStatus, RequestStatus))


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_every_pair_of_statuses_is_either_allowed_or_refused(source, target):
    aid_request = Request(status=source)
    allowed = (
        (source == RequestStatus.NEW and target != RequestStatus.NEW)
        or (source == RequestStatus.OPEN and (target == RequestStatus.CLAIMED or target in CLOSED))
        or (source == RequestStatus.CLAIMED and (target == RequestStatus.OPEN or target in CLOSED))
        or (source in CLOSED and target == RequestStatus.OPEN)
    )
    assert (target in ALLOWED_TRANSITIONS[source]) == allowed
    if allowed:
        aid_request.move_to(target)
        assert aid_request.status == target
        assert (aid_request.closed_at is not None) == (target in CLOSED)
    else:
        with pytest.raises(InvalidTransition):
            aid_request.move_to(target)
        assert aid_request.status == source


@pytest.fixture
def point_person(pod):
    return make_volunteer("Ana", pods=[pod], groups=["Volunteer", "Point person"])


def kinds(aid_request):
    return list(aid_request.events.values_list("kind", flat=True))


def test_a_request_is_triaged_claimed_and_fulfilled_with_an_event_at_each_step(pod, point_person):
    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request()

    aid_request.triage(by=point_person.user, pod=pod, urgency=Urgency.TODAY)
    claim = aid_request.claim(helper)
    aid_request.close(RequestStatus.FULFILLED, by=helper.user, note="Groceries delivered.")

    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.FULFILLED
    assert aid_request.pod == pod
    assert aid_request.urgency == Urgency.TODAY
    assert aid_request.closed_at is not None
    assert aid_request.outcome_note == "Groceries delivered."
    assert claim.volunteer == helper
    assert aid_request.active_claim == claim
    assert kinds(aid_request) == [EventKind.TRIAGED, EventKind.CLAIMED, EventKind.CLOSED]


def test_a_released_claim_goes_back_to_open_and_says_why(pod):
    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request(pod=pod)
    aid_request.claim(helper)

    aid_request.release(by=helper.user, reason="My car broke down.")

    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.OPEN
    assert aid_request.active_claim is None
    released = Claim.objects.get(request=aid_request)
    assert released.released_at is not None
    assert released.release_reason == "My car broke down."
    assert aid_request.events.last().text == "My car broke down."


def test_someone_else_can_claim_after_a_release(pod):
    aid_request = make_request(pod=pod)
    aid_request.claim(make_volunteer("Ben", pods=[pod]))
    aid_request.release(by=None, reason="Away")

    aid_request.claim(make_volunteer("Chen", pods=[pod]))

    assert aid_request.claims.count() == 2
    assert aid_request.active_claim.volunteer.name == "Chen"


def test_could_not_help_needs_a_reason_and_changes_nothing_without_one(pod):
    aid_request = make_request()
    with pytest.raises(ValidationError):
        aid_request.close(RequestStatus.COULD_NOT_HELP, by=None, note="   ")
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.NEW
    assert not aid_request.events.exists()


def test_could_not_help_can_name_a_referral():
    pantry = make_resource("Food pantry")
    aid_request = make_request()
    aid_request.close(
        RequestStatus.COULD_NOT_HELP, by=None, note="No drivers this week.", referral=pantry
    )
    aid_request.refresh_from_db()
    assert aid_request.referral == pantry


def test_a_duplicate_names_the_request_it_repeats():
    first = make_request()
    second = make_request(neighbor=first.neighbor)
    with pytest.raises(ValidationError):
        second.close(RequestStatus.DUPLICATE, by=None)
    with pytest.raises(ValidationError):
        second.close(RequestStatus.DUPLICATE, by=None, duplicate_of=second)

    second.close(RequestStatus.DUPLICATE, by=None, duplicate_of=first)

    second.refresh_from_db()
    assert second.duplicate_of == first


def test_two_requests_are_never_closed_as_duplicates_of_each_other():
    first = make_request()
    second = make_request(neighbor=first.neighbor)
    stale_first = Request.objects.get(pk=first.pk)  # another volunteer's page, drawn before
    second.close(RequestStatus.DUPLICATE, by=None, duplicate_of=first)

    with pytest.raises(ValidationError) as refused:
        stale_first.close(RequestStatus.DUPLICATE, by=None, duplicate_of=second)

    assert refused.value.code == "duplicate_of_closed"
    first.refresh_from_db()
    assert first.status == RequestStatus.NEW


def test_a_neighbor_can_withdraw_and_a_point_person_can_reopen(pod, point_person):
    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request(pod=pod)
    aid_request.claim(helper)

    aid_request.withdraw()
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.WITHDRAWN
    assert aid_request.events.last().by_neighbor

    aid_request.reopen(by=point_person.user, reason="She called back: still needed.")
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.OPEN
    assert aid_request.closed_at is None
    assert aid_request.active_claim is None
    assert kinds(aid_request)[-2:] == [EventKind.WITHDRAWN, EventKind.REOPENED]


def test_claiming_a_closed_request_is_refused_and_changes_nothing(pod):
    aid_request = make_request()
    aid_request.withdraw()

    with pytest.raises(InvalidTransition):
        aid_request.claim(make_volunteer("Ben", pods=[pod]))

    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.WITHDRAWN
    assert not aid_request.claims.exists()
    assert kinds(aid_request) == [EventKind.WITHDRAWN]


def test_reopening_a_request_that_is_not_closed_is_refused():
    aid_request = make_request()
    with pytest.raises(InvalidTransition):
        aid_request.reopen(by=None)


def test_a_stale_copy_cannot_overwrite_what_someone_else_just_did(pod):
    """Two people hold the same request; one withdraws it. The other's copy still says
    'new', but the transition re-reads the status under the lock and refuses."""
    aid_request = make_request()
    stale_copy = Request.objects.get(pk=aid_request.pk)
    aid_request.withdraw()

    with pytest.raises(InvalidTransition):
        stale_copy.claim(make_volunteer("Ben", pods=[pod]))
    assert Request.objects.get(pk=aid_request.pk).status == RequestStatus.WITHDRAWN


def test_the_database_allows_only_one_active_claim_per_request(pod):
    aid_request = make_request()
    Claim.objects.create(request=aid_request, volunteer=make_volunteer("Ben", pods=[pod]))
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(request=aid_request, volunteer=make_volunteer("Chen", pods=[pod]))


def test_the_database_refuses_a_status_that_does_not_exist():
    aid_request = make_request()
    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=aid_request.pk).update(status="lost")


def test_the_database_refuses_a_closed_request_without_a_closing_time():
    aid_request = make_request()
    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=aid_request.pk).update(status=RequestStatus.FULFILLED)


def test_events_are_append_only():
    aid_request = make_request()
    event = aid_request.record(EventKind.NOTE, by=make_user(), text="Called, no answer.")

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(text="changed")
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).delete()
    assert Event.objects.get(pk=event.pk).text == "Called, no answer."


def test_references_are_short_unambiguous_and_unique():
    references = {make_request().reference for _ in range(50)}
    assert len(references) == 50
    for reference in references:
        assert len(reference) == 7
        assert reference[4] == "-"
        assert not set(reference) & set("01OIL")


def test_requests_of_one_submission_share_a_status_token_that_is_hard_to_guess():
    first = make_request()
    second = make_request(neighbor=first.neighbor, status_token=first.status_token)
    other = make_request()
    assert len(first.status_token) >= 43
    assert set(Request.objects.for_status_page(first.status_token)) == {first, second}
    assert other.status_token != first.status_token


def test_pods_are_independent_of_the_requests_in_them():
    pod = make_pod()
    aid_request = make_request(pod=pod)
    assert list(pod.requests.all()) == [aid_request]


def test_a_stale_release_cannot_reopen_a_closed_request(pod):
    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request(pod=pod)
    aid_request.claim(helper)
    stale_tab = Request.objects.get(pk=aid_request.pk)
    aid_request.close(RequestStatus.FULFILLED, by=helper.user)

    with pytest.raises(InvalidTransition):
        stale_tab.release(by=helper.user, reason="Changed my mind")
    assert Request.objects.get(pk=aid_request.pk).status == RequestStatus.FULFILLED


def test_a_stale_triage_cannot_open_a_claimed_request(pod):
    aid_request = make_request()
    stale_form = Request.objects.get(pk=aid_request.pk)
    aid_request.claim(make_volunteer("Ben", pods=[pod]))

    with pytest.raises(InvalidTransition):
        stale_form.triage(by=None, pod=pod, urgency=Urgency.TODAY)
    assert Request.objects.get(pk=aid_request.pk).status == RequestStatus.CLAIMED


def _reads_under_a_lock(method):
    return "self._lock()" in inspect.getsource(method)


@pytest.mark.parametrize(
    "method",
    [
        method
        for model in (Request, Offer)
        for name, method in vars(model).items()
        if inspect.isfunction(method) and name != "_lock" and _reads_under_a_lock(method)
    ],
    ids=lambda method: method.__qualname__,
)
def test_every_change_that_locks_its_row_is_one_transaction(method):
    """select_for_update outside a transaction is an error on PostgreSQL; tests run inside
    one, so only this check sees a transition that lost its @transaction.atomic."""
    wrappers = [cell.cell_contents for cell in method.__closure__ or ()]
    assert any(isinstance(wrapper, transaction.Atomic) for wrapper in wrappers), (
        f"{method.__qualname__} is not @transaction.atomic"
    )


@pytest.mark.django_db(transaction=True)
def test_a_neighbor_withdraws_on_a_real_connection_outside_any_test_transaction(client):
    aid_request = make_request()
    response = client.post(
        reverse("requests_app:withdraw", args=[aid_request.status_token, aid_request.reference])
    )
    assert response.status_code == 302
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.WITHDRAWN
