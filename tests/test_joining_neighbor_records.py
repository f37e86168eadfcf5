"""A neighbor who typed their details a little differently each time has several records
(a new submission joins a record only by repeating it exactly). A coordinator who knows
they are one person joins them in the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    AuditAction,
    AuditEntry,
    EventKind,
    Neighbor,
    Offer,
    Request,
)
from requests_app.services import (
    CannotMerge,
    erase_neighbor_contact_details,
    erase_what_a_link_gave,
    merge_neighbors,
)
from tests.factories import make_neighbor, make_offer, make_pod, make_request, make_user, sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:requests_app_neighbor_changelist"


@pytest.fixture
def maria():
    return make_user("maria", groups=["Coordinator"], is_staff=True)


@pytest.fixture
def coordinator_client(maria):
    return sign_in(Client(), maria)


def join(client, records, **extra):
    return client.post(
        reverse(CHANGELIST),
        {
            "action": "merge_records",
            "_selected_action": [record.pk for record in records],
            **extra,
        },
    )


def rosa_twice():
    """Rosa asked for groceries by phone, then offered rides on the web with her email."""
    by_phone = make_neighbor(name="Rosa", phone="+16175550142", address="12 Elm St")
    on_the_web = make_neighbor(name="Rosa M.", phone="", email="rosa@example.org")
    groceries = make_request(neighbor=by_phone)
    rides = make_offer(neighbor=on_the_web)
    meals = make_request(neighbor=on_the_web)
    return by_phone, on_the_web, groceries, meals, rides


def test_a_coordinator_sees_both_records_then_joins_them_into_the_one_she_keeps(
    coordinator_client, maria
):
    by_phone, on_the_web, groceries, meals, rides = rosa_twice()

    page = join(coordinator_client, [by_phone, on_the_web])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Join records of the same neighbor" in html
    for shown in ("12 Elm St", "+16175550142", "rosa@example.org", "Rosa M."):
        assert shown in html
    assert page["Cache-Control"].startswith("max-age=0")
    # Seeing them is a look at contact details, recorded like any other.
    assert groceries.events.filter(kind=EventKind.CONTACT_VIEWED, actor=maria).exists()
    assert meals.events.filter(kind=EventKind.CONTACT_VIEWED, actor=maria).exists()
    assert AuditEntry.objects.filter(action=AuditAction.CONTACT_VIEWED).count() == 2
    assert Neighbor.objects.count() == 2  # nothing joined yet

    done = join(coordinator_client, [by_phone, on_the_web], apply="1", keep=by_phone.pk)

    assert done.status_code == 302
    assert list(Neighbor.objects.all()) == [by_phone]
    assert set(Request.objects.values_list("neighbor", flat=True)) == {by_phone.pk}
    assert Offer.objects.get(pk=rides.pk).neighbor == by_phone
    # The request that moved says so on its timeline; the other one did not move.
    assert meals.events.filter(kind=EventKind.NEIGHBOR_MERGED, actor=maria).count() == 1
    assert not groceries.events.filter(kind=EventKind.NEIGHBOR_MERGED).exists()
    entry = AuditEntry.objects.get(action=AuditAction.NEIGHBORS_MERGED)
    assert (entry.username, entry.subject) == ("maria", f"neighbor {by_phone.pk}")
    assert entry.detail == f"joined neighbor {on_the_web.pk}"
    # Nothing of the deleted record went on the audit trail.
    assert "rosa@example.org" not in entry.detail
    listed = coordinator_client.get(reverse(CHANGELIST)).content.decode()
    assert "1 record joined into Neighbor #" in listed


def test_without_choosing_which_record_to_keep_nothing_is_joined(coordinator_client):
    by_phone, on_the_web, *_rest = rosa_twice()

    page = join(coordinator_client, [by_phone, on_the_web], apply="1")

    assert page.status_code == 200
    assert "Choose the record to keep." in page.content.decode()
    assert Neighbor.objects.count() == 2


def test_a_record_outside_the_selection_cannot_be_the_one_kept(coordinator_client):
    by_phone, on_the_web, *_rest = rosa_twice()
    stranger = make_neighbor(name="Someone else")

    page = join(coordinator_client, [by_phone, on_the_web], apply="1", keep=stranger.pk)

    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert Neighbor.objects.count() == 3
    assert not stranger.requests.exists()


def test_one_record_alone_is_not_joined(coordinator_client):
    by_phone, *_rest = rosa_twice()

    response = join(coordinator_client, [by_phone], apply="1", keep=by_phone.pk)

    assert response.status_code == 302
    follow = coordinator_client.get(response["Location"]).content.decode()
    assert "Choose at least two records of the same neighbor." in follow
    assert Neighbor.objects.count() == 2


def test_a_record_whose_details_were_erased_is_never_joined(coordinator_client):
    by_phone, on_the_web, groceries, meals, _rides = rosa_twice()
    erase_neighbor_contact_details(on_the_web, why="asked by phone")

    response = join(coordinator_client, [by_phone, on_the_web])

    follow = coordinator_client.get(response["Location"]).content.decode()
    assert "Records whose contact details were erased cannot be joined" in follow
    assert Request.objects.get(pk=meals.pk).neighbor_id == on_the_web.pk
    assert not groceries.events.filter(kind=EventKind.CONTACT_VIEWED).exists()


def test_point_people_see_the_joined_record_only_if_every_record_said_yes(maria):
    said_yes = make_neighbor(share_with_point_people=True)
    said_no = make_neighbor(share_with_point_people=False)
    also_yes = make_neighbor(share_with_point_people=True)

    kept = merge_neighbors(said_yes, [said_no], by=maria)
    assert kept.share_with_point_people is False

    again = make_neighbor(share_with_point_people=True)
    assert merge_neighbors(also_yes, [again], by=maria).share_with_point_people is True


def test_the_longest_keep_until_stays_with_its_reason_and_a_missing_pod_is_filled(maria):
    pod = make_pod("Prospect Hill")
    later = timezone.localdate() + timedelta(days=90)
    kept = make_neighbor(keep_until=timezone.localdate() + timedelta(days=10), keep_reason="a")
    other = make_neighbor(keep_until=later, keep_reason="court date in March", pod=pod)

    merge_neighbors(kept, [other], by=maria)

    kept.refresh_from_db()
    assert (kept.keep_until, kept.keep_reason, kept.pod) == (later, "court date in March", pod)


def test_the_service_refuses_what_the_admin_refuses(maria):
    rosa = make_neighbor()
    with pytest.raises(CannotMerge):
        merge_neighbors(rosa, [], by=maria)
    erased = erase_neighbor_contact_details(make_neighbor())
    with pytest.raises(CannotMerge):
        merge_neighbors(rosa, [erased], by=maria)
    gone = make_neighbor()
    gone_pk = gone.pk
    gone.delete()
    gone.pk = gone_pk
    with pytest.raises(CannotMerge):
        merge_neighbors(rosa, [gone], by=maria)


def test_staff_without_the_contact_permission_cannot_join_records():
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_neighbor", "change_neighbor"])
    )
    client = sign_in(Client(), viewer)
    by_phone, on_the_web, *_rest = rosa_twice()

    response = join(client, [by_phone, on_the_web], apply="1", keep=by_phone.pk)

    assert response.status_code == 404  # the admin hides what one may not see
    assert Neighbor.objects.count() == 2


def test_after_joining_the_link_that_made_the_record_still_erases_all_of_it(maria):
    by_phone, on_the_web, groceries, meals, rides = rosa_twice()
    merge_neighbors(on_the_web, [by_phone], by=maria)

    # The groceries request came first, so its link made the joined record.
    erase_what_a_link_gave(status_token=groceries.status_token)

    on_the_web.refresh_from_db()
    assert on_the_web.contact_erased_at is not None
    assert on_the_web.email == on_the_web.phone == ""
    assert Request.objects.get(pk=meals.pk).neighbor_id == on_the_web.pk
