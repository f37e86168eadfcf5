"""A neighbor who typed their details a little differently each time has several records
(a new submission joins a record only by repeating it exactly). A coordinator who knows
they are one person joins them in the admin."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    AuditAction,
    AuditEntry,
    EventKind,
    Neighbor,
    Offer,
    Repeat,
    Request,
    RequestStatus,
)
from requests_app.services import (
    CannotMerge,
    create_requests,
    erase_neighbor_contact_details,
    erase_what_a_link_gave,
    merge_neighbors,
)
from tests.factories import (
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_user,
    make_volunteer,
    sign_in,
)
from tests.test_claim_race import in_thread, wait_until_a_query_waits_for_a_lock
from volunteers.models import Volunteer
from volunteers.retention import run_retention

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:requests_app_neighbor_changelist"


@pytest.fixture
def maria(coordinator_login):
    return coordinator_login


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
    # The trail of each record says where it went; nothing of what they said is on it.
    trail = dict(
        AuditEntry.objects.filter(
            action=AuditAction.NEIGHBORS_MERGED, username="maria"
        ).values_list("subject", "detail")
    )
    assert trail == {
        f"neighbor {on_the_web.pk}": f"joined into neighbor {by_phone.pk}",
        f"neighbor {by_phone.pk}": f"kept, joined neighbors {on_the_web.pk}",
    }
    history = LogEntry.objects.get(object_id=str(by_phone.pk))
    assert history.get_change_message() == "Changed Neighbor records joined."
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


def staff_with(*codenames):
    user = make_user(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return sign_in(Client(), user)


def test_staff_without_the_contact_permission_cannot_join_records():
    client = staff_with("view_neighbor", "change_neighbor", "merge_neighbors")
    by_phone, on_the_web, *_rest = rosa_twice()

    response = join(client, [by_phone, on_the_web], apply="1", keep=by_phone.pk)

    assert response.status_code == 404  # the admin hides what one may not see
    assert Neighbor.objects.count() == 2


def test_joining_deletes_records_so_it_takes_a_permission_of_its_own():
    client = staff_with("view_neighbor", "change_neighbor", "view_contact_details")
    by_phone, on_the_web, groceries, *_rest = rosa_twice()

    refused = join(client, [by_phone, on_the_web], apply="1", keep=by_phone.pk)
    shown = join(client, [by_phone, on_the_web])

    for response in (refused, shown):  # the list again, without the action
        assert "Select neighbor to change" in response.content.decode()
        assert "Join records of the same neighbor" not in response.content.decode()
    assert Neighbor.objects.count() == 2
    assert not groceries.events.filter(kind=EventKind.CONTACT_VIEWED).exists()


def test_at_most_ten_records_are_joined_at_once_and_none_is_shown_beyond(coordinator_client):
    records = [make_neighbor(name=f"Rosa {n}") for n in range(11)]
    requests = [make_request(neighbor=record) for record in records]

    response = join(coordinator_client, records)

    follow = coordinator_client.get(response["Location"]).content.decode()
    assert "Choose at most 10 records at a time." in follow
    assert not any(r.events.filter(kind=EventKind.CONTACT_VIEWED).exists() for r in requests)
    assert Neighbor.objects.count() == 11


def test_the_page_shows_every_field_the_join_keeps_or_drops(coordinator_client):
    later = timezone.localdate() + timedelta(days=30)
    by_phone = make_neighbor(whatsapp_ok=True, preferred_contact="text")
    kept_longer = make_neighbor(keep_until=later, keep_reason="court date in March")

    html = join(coordinator_client, [by_phone, kept_longer]).content.decode()

    for label in ("WhatsApp", "Best way", "Keep contact details until", "Reason to keep"):
        assert label in html
    assert "Text message" in html
    assert "court date in March" in html


@pytest.mark.parametrize("link", ["groceries", "meals", "rides"])
@pytest.mark.parametrize("keeping", ["by_phone", "on_the_web"])
def test_after_joining_each_link_that_made_a_record_deletes_the_joined_one(maria, link, keeping):
    by_phone, on_the_web, groceries, meals, rides = rosa_twice()
    records = {"by_phone": by_phone, "on_the_web": on_the_web}
    kept = merge_neighbors(records[keeping], list(records.values()), by=maria)
    links = {
        "groceries": {"status_token": groceries.status_token},  # made the phone record
        "meals": {"status_token": meals.status_token},  # came after the web one's offer
        "rides": {"offer_token": rides.token},  # made the web record
    }

    erase_what_a_link_gave(**links[link])

    kept.refresh_from_db()
    made_it = link != "meals"
    assert (kept.contact_erased_at is not None) is made_it
    if not made_it:  # a link that only joined a record takes its own rows away, erased
        moved_to = Request.objects.get(pk=meals.pk).neighbor
        assert moved_to != kept
        assert moved_to.contact_erased_at is not None
        assert (kept.name, kept.email) == (records[keeping].name, records[keeping].email)


def test_someone_who_types_the_joined_details_later_still_cannot_delete_them(maria):
    by_phone, on_the_web, *_rest = rosa_twice()
    kept = merge_neighbors(by_phone, [on_the_web], by=maria)
    typed = {field: getattr(kept, field) for field in Neighbor.CONTACT_FIELDS}
    (joiner,) = create_requests(needs=[make_category("rides")], contact=typed, urgency=2)
    assert joiner.neighbor_id == kept.pk

    erase_what_a_link_gave(status_token=joiner.status_token)

    kept.refresh_from_db()
    assert kept.contact_erased_at is None
    assert Request.objects.get(pk=joiner.pk).neighbor.contact_erased_at is not None


def test_a_repeating_request_loaded_before_a_join_makes_its_next_date_on_the_kept_record(
    maria, pod
):
    by_phone, on_the_web, groceries, *_rest = rosa_twice()
    groceries.claim(make_volunteer("Ana", pods=[pod]))
    groceries.set_repeat(Repeat.WEEKLY, by=maria)
    loaded_before = Request.objects.get(pk=groceries.pk)

    merge_neighbors(on_the_web, [by_phone], by=maria)
    loaded_before.close(RequestStatus.FULFILLED, by=maria)

    next_date = Request.objects.get(series=groceries)
    assert next_date.neighbor_id == on_the_web.pk


def test_retention_skips_a_record_joined_into_another_since_it_read_the_list(maria):
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_DAYS + 5)
    old = make_neighbor(name="Rosa", phone="+16175550142")
    make_request(neighbor=old, status=RequestStatus.FULFILLED, closed_at=long_ago)
    current = make_neighbor(name="Rosa M.", phone="+16175550142")
    make_request(neighbor=current)  # still open: keeps the joined record

    def join_meanwhile(rows):
        merge_neighbors(current, [old], by=maria)
        return rows

    run = run_retention(progress=join_meanwhile)

    assert run.done["erased"] == 0
    current.refresh_from_db()
    assert current.contact_erased_at is None
    assert current.name == "Rosa M."


def test_a_request_moved_by_hand_onto_a_record_does_not_make_it_theirs(maria):
    rosa = create_requests(
        needs=[make_category("food")],
        contact={"name": "Rosa", "phone": "+16175550142", "language": "es"},
        urgency=2,
    )[0]
    older = make_request(neighbor=make_neighbor(name="Someone else"))
    Request.objects.filter(pk=older.pk).update(
        neighbor=rosa.neighbor, created_at=timezone.now() - timedelta(days=30)
    )

    erase_what_a_link_gave(status_token=older.status_token)
    assert Neighbor.objects.get(pk=rosa.neighbor_id).name == "Rosa"

    erase_what_a_link_gave(status_token=rosa.status_token)
    assert Neighbor.objects.get(pk=rosa.neighbor_id).contact_erased_at is not None


def test_retention_leaves_a_record_whose_neighbor_asked_again_since_it_read_the_list():
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_DAYS + 5)
    rosa = make_neighbor(name="Rosa")
    make_request(neighbor=rosa, status=RequestStatus.FULFILLED, closed_at=long_ago)

    def asks_again_meanwhile(rows):
        make_request(neighbor=rosa)
        return rows

    run = run_retention(progress=asks_again_meanwhile)

    assert run.done["erased"] == 0
    rosa.refresh_from_db()
    assert rosa.name == "Rosa"


def test_every_write_here_is_one_transaction():
    for service in (merge_neighbors, erase_what_a_link_gave, erase_neighbor_contact_details):
        wrappers = [cell.cell_contents for cell in service.__closure__ or ()]
        assert any(isinstance(w, transaction.Atomic) for w in wrappers), service.__name__


# --- At the same moment, on real connections ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_deleting_ones_details_while_a_coordinator_joins_the_record_deletes_the_joined_one():
    maria = make_user("maria2", is_staff=True)
    by_phone, on_the_web, groceries, *_rest = rosa_twice()
    merge_holds_the_records = threading.Event()
    let_merge_commit = threading.Event()

    def coordinator_joins():
        with transaction.atomic():
            merge_neighbors(on_the_web, [by_phone], by=maria)
            merge_holds_the_records.set()
            let_merge_commit.wait(10)

    def neighbor_deletes():
        erase_what_a_link_gave(status_token=groceries.status_token)

    joining = in_thread(coordinator_joins)
    assert merge_holds_the_records.wait(10)
    deleting = in_thread(neighbor_deletes)
    wait_until_a_query_waits_for_a_lock()
    let_merge_commit.set()
    joining.join(10)
    deleting.join(10)

    on_the_web.refresh_from_db()
    assert not Neighbor.objects.filter(pk=by_phone.pk).exists()
    assert on_the_web.contact_erased_at is not None
    assert on_the_web.email == ""


# --- Finding them -----------------------------------------------------------------------


def test_a_coordinator_lists_the_records_that_share_a_phone_or_an_email(coordinator_client):
    rosa_by_phone = make_neighbor(name="Rosa", phone="+16175550142")
    rosa_again = make_neighbor(name="Rosa M.", phone="+16175550142", address="12 Elm St")
    ben_by_email = make_neighbor(name="Ben", phone="", email="ben@example.org")
    ben_again = make_neighbor(name="Benjamin", phone="+16175550199", email="ben@example.org")
    make_neighbor(name="Alone", phone="+16175550100")
    erased_twin = erase_neighbor_contact_details(make_neighbor(name="Gone", phone="+16175550100"))

    page = coordinator_client.get(reverse(CHANGELIST), {"shares": "contact"})

    assert page.status_code == 200
    listed = [row.pk for row in page.context["cl"].result_list]
    # Side by side: sorted by phone, then email.
    assert listed == [ben_by_email.pk, rosa_by_phone.pk, rosa_again.pk, ben_again.pk]
    assert erased_twin.pk not in listed
    html = page.content.decode()
    assert "Same phone or email as another record" in html
    assert "Alone" not in html


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        (CHANGELIST, "pod__id__exact"),
        ("admin:requests_app_offer_changelist", "pod__id__exact"),
        ("admin:volunteers_volunteer_changelist", "pods__id__exact"),
    ],
)
def test_the_pods_of_the_admin_lists_are_one_drop_down(coordinator_client, changelist, lookup):
    pods = [make_pod(f"Pod {n}", slug=f"pod-{n}") for n in range(12)]

    html = coordinator_client.get(reverse(changelist)).content.decode()

    assert html.count(f'<option value="{pods[3].pk}"') == 1
    assert f"{lookup}={pods[3].pk}" not in html  # not a link per pod


# --- Upgrading ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_upgrading_remembers_each_records_maker_and_tidies_phones_typed_in_the_admin():
    before = [("requests_app", "0015_resource_website_is_a_web_address")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    OldNeighbor, OldRequest, OldOffer, OldCategory = (
        old.get_model("requests_app", name) for name in ("Neighbor", "Request", "Offer", "Category")
    )
    food = OldCategory.objects.create(slug="food-x", name="Food")
    earlier = timezone.now() - timedelta(days=3)
    typed_by_hand = OldNeighbor.objects.create(phone="(617) 555-0142", email=" Rosa@Example.ORG ")
    second = OldRequest.objects.create(neighbor=typed_by_hand, category=food)
    first = OldRequest.objects.create(neighbor=typed_by_hand, category=food, created_at=earlier)
    offered_first = OldNeighbor.objects.create(phone="not a phone")
    offer = OldOffer.objects.create(neighbor=offered_first, category=food, created_at=earlier)
    OldRequest.objects.create(neighbor=offered_first, category=food)
    made_by_hand = OldNeighbor.objects.create(phone="+16175550100")
    OldVolunteer = old.get_model("volunteers", "Volunteer")
    OldUser = old.get_model("auth", "User")
    volunteer = OldVolunteer.objects.create(
        user=OldUser.objects.create(username="ben"), name="Ben", phone="617.555.0199"
    )

    MigrationExecutor(connection).migrate(latest)

    typed_by_hand = Neighbor.objects.get(pk=typed_by_hand.pk)
    assert (typed_by_hand.phone, typed_by_hand.email) == ("+16175550142", "rosa@example.org")
    assert typed_by_hand.makers == {"requests": [first.pk]}
    assert second.pk not in typed_by_hand.makers["requests"]
    offered_first = Neighbor.objects.get(pk=offered_first.pk)
    assert (offered_first.phone, offered_first.makers) == ("not a phone", {"offers": [offer.pk]})
    assert Neighbor.objects.get(pk=made_by_hand.pk).makers == {}
    assert Volunteer.objects.get(pk=volunteer.pk).phone == "+16175550199"
    assert Permission.objects.filter(group__name="Coordinator", codename="merge_neighbors").exists()


def a_volunteer_holds(aid_request):
    """A volunteer's transaction holding a request's row (closing it, say) until told."""
    holds, release = threading.Event(), threading.Event()

    def volunteer():
        with transaction.atomic():
            list(Request.objects.filter(pk=aid_request.pk).select_for_update())
            holds.set()
            release.wait(10)

    thread = in_thread(volunteer)
    assert holds.wait(10)
    return thread, release


@contextmanager
def while_a_volunteer_holds(aid_request):
    """While a volunteer's transaction holds the request's row, this connection waits
    for a lock at most 200 ms (PostgreSQL's lock_timeout), as a busy server would."""
    volunteer, release = a_volunteer_holds(aid_request)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        release.set()
        volunteer.join(10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who_deletes", ["the neighbor's link", "retention"])
def test_a_join_and_a_deletion_waiting_on_a_volunteer_both_finish(who_deletes):
    maria = make_user("maria3", is_staff=True)
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_DAYS + 5)
    by_phone = make_neighbor(name="Rosa", phone="+16175550142")
    groceries = make_request(neighbor=by_phone, status=RequestStatus.FULFILLED, closed_at=long_ago)
    on_the_web = make_neighbor(name="Rosa M.", email="rosa@example.org")
    being_closed = make_request(neighbor=on_the_web)
    failures = []

    def guarded(work):
        def run():
            try:
                work()
            except Exception as failure:  # the test reports any failure
                failures.append(repr(failure))

        return run

    def deletes():
        if who_deletes == "retention":
            run = run_retention()
            if run.done["erase_retries"]:  # it gave up on a lock conflict
                failures.append(f"retention left {run.done['erase_retries']} for later")
        else:
            erase_what_a_link_gave(status_token=groceries.status_token)

    volunteer, release = a_volunteer_holds(being_closed)
    joining = in_thread(guarded(lambda: merge_neighbors(on_the_web, [by_phone], by=maria)))
    wait_until_a_query_waits_for_a_lock(count=1)
    deleting = in_thread(guarded(deletes))
    wait_until_a_query_waits_for_a_lock(count=2)
    release.set()
    for thread in (volunteer, joining, deleting):
        thread.join(15)

    assert failures == []
    assert not Neighbor.objects.filter(pk=by_phone.pk).exists()
    assert Request.objects.get(pk=groceries.pk).neighbor_id == on_the_web.pk


@pytest.mark.django_db(transaction=True)
def test_a_join_that_cannot_get_its_rows_says_try_again_and_changes_nothing():
    client = sign_in(Client(), make_user("maria4", groups=["Coordinator"], is_staff=True))
    by_phone, on_the_web, groceries, *_rest = rosa_twice()
    with while_a_volunteer_holds(groceries):
        response = join(client, [by_phone, on_the_web], apply="1", keep=on_the_web.pk)

    follow = client.get(response["Location"]).content.decode()
    assert "Someone changed these records at the same moment. Nothing was joined" in follow
    assert Neighbor.objects.filter(pk=by_phone.pk).exists()
