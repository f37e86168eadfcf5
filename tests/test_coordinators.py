"""Coordinators run the network from the admin: approvals, point people, exports,
bulk actions, door flyers and reports."""

import csv
import io
import re
import threading
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.admin import BULK_AT_MOST
from requests_app.models import Claim, EventKind, Request, RequestStatus
from tests.factories import (
    form_started,
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
from tests.test_joining_neighbor_records import while_a_volunteer_holds
from volunteers.models import Volunteer
from volunteers.reports import build_report
from volunteers.services import LoginTaken, approve_volunteer

pytestmark = pytest.mark.django_db


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def run_action(client, model, action, objects, **extra):
    return client.post(
        changelist(model),
        {"action": action, "_selected_action": [obj.pk for obj in objects], **extra},
    )


# --- Admin lists --------------------------------------------------------------------------


ADMIN_MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"requests_app", "volunteers"}
]


def fill(how_many):
    pod = make_pod()
    category = make_category("groceries")
    helper = make_volunteer("Ben", pods=[pod])
    pod.point_people.add(helper)
    neighbor = make_neighbor()
    for n in range(how_many):
        aid_request = make_request(neighbor=neighbor, category=category, pod=pod)
        aid_request.claim(helper)
        make_offer(neighbor=neighbor, category=category, pod=pod)
        make_volunteer(f"V{n}", pods=[pod])
        make_pod()


@pytest.mark.parametrize("how_many", [5, 200])
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_admin_lists_run_the_same_queries_for_5_or_200_rows(
    coordinator_client, model, how_many, django_assert_max_num_queries
):
    fill(how_many)
    with django_assert_max_num_queries(14):
        assert coordinator_client.get(changelist(model)).status_code == 200


# --- Volunteer approval ------------------------------------------------------------------


def test_a_sign_up_is_approved_and_the_volunteer_sets_a_password_from_the_email(
    coordinator_client, django_capture_on_commit_callbacks
):
    pod = make_pod("South Side")
    pending = Volunteer.objects.create(name="Dani Flores", email="dani@example.org", language="es")
    pending.pods.add(pod)
    older = make_volunteer("Already in")
    listing = coordinator_client.get(changelist(Volunteer)).content.decode()
    assert listing.index("Dani Flores") < listing.index("Already in")

    with django_capture_on_commit_callbacks(execute=True):
        run_action(coordinator_client, Volunteer, "approve", [pending, older])

    pending.refresh_from_db()
    assert pending.approved_at is not None
    assert pending.user.groups.filter(name="Volunteer").exists()
    assert list(pending.pods.all()) == [pod]
    (email,) = mail.outbox
    assert email.to == ["dani@example.org"]
    with translation.override("es"):
        assert (
            translation.gettext("Open this link to choose your password. It works for three days:")
            in email.body
        )
    link = re.search(r"http://\S+/es/accounts/reset/\S+", email.body).group(0)

    volunteer_client = Client()
    form_page = volunteer_client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    volunteer_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "una contraseña muy larga", "new_password2": "una contraseña muy larga"},
    )
    assert volunteer_client.login(username="dani@example.org", password="una contraseña muy larga")


def test_a_volunteer_whose_welcome_link_ran_out_chooses_a_password_from_forgot_password(
    coordinator_client, django_capture_on_commit_callbacks
):
    pending = Volunteer.objects.create(name="Wen Li", email="Wen@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(coordinator_client, Volunteer, "approve", [pending])
    mail.outbox.clear()  # the welcome, never opened

    Client().post(reverse("volunteers:password_reset"), {"email": "wen@EXAMPLE.org"})

    (email,) = mail.outbox
    link = re.search(r"http://\S+/en/accounts/reset/\S+", email.body).group(0)
    volunteer_client = Client()
    form_page = volunteer_client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    volunteer_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a long password of mine", "new_password2": "a long password of mine"},
    )
    assert volunteer_client.login(username="Wen@example.org", password="a long password of mine")


def test_forgot_password_sends_nothing_to_a_pending_or_deactivated_volunteer(coordinator_client):
    Volunteer.objects.create(name="Pending", email="pending@example.org")
    gone = make_volunteer("Gone")
    gone.user.email = "gone@example.org"
    gone.user.set_unusable_password()
    gone.user.is_active = False
    gone.user.save()

    for address in ("pending@example.org", "gone@example.org"):
        Client().post(reverse("volunteers:password_reset"), {"email": address})

    assert mail.outbox == []


def sign_up_again(client, name, email):
    """What a volunteer types into the public sign-up form."""
    client.post(
        reverse("volunteers:sign_up"),
        {
            "name": name,
            "email": email,
            "languages": ["en"],
            "availability": "Evenings",
            "agree": "on",
            "homepage": "",
            "started": form_started(),
        },
    )
    return Volunteer.objects.pending().get(email__iexact=email)


def approve_and_read_the_messages(client, volunteers):
    response = client.post(
        changelist(Volunteer),
        {"action": "approve", "_selected_action": [v.pk for v in volunteers]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_a_second_sign_up_with_an_approved_volunteers_email_is_left_waiting_and_says_whose_it_is(
    coordinator_client, django_capture_on_commit_callbacks
):
    dani = Volunteer.objects.create(name="Dani Flores", email="Dani@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(coordinator_client, Volunteer, "approve", [dani])
    again = sign_up_again(Client(), "Dani F.", "DANI@example.org")
    ana = Volunteer.objects.create(name="Ana Souza", email="ana@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        shown = approve_and_read_the_messages(coordinator_client, [again, ana])

    assert (
        "Dani F. was not approved: the volunteer “Dani Flores” already has a login with "
        "dani@example.org. If they are the same person, decline this sign-up."
    ) in shown
    assert "1 volunteer approved." in shown
    again.refresh_from_db()
    assert again.approved_at is None
    assert again.user is None
    assert User.objects.filter(username__iexact="dani@example.org").count() == 1
    assert [email.to for email in mail.outbox] == [["ana@example.org"]]


def test_a_volunteer_who_left_and_signs_up_again_is_pointed_to_their_old_record(
    coordinator_client, django_capture_on_commit_callbacks
):
    wen = Volunteer.objects.create(name="Wen Li", email="wen@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        run_action(coordinator_client, Volunteer, "approve", [wen])
    run_action(coordinator_client, Volunteer, "deactivate", [wen])
    again = sign_up_again(Client(), "Wen", "wen@example.org")
    mail.outbox.clear()

    shown = approve_and_read_the_messages(coordinator_client, [again])

    assert (
        "Wen was not approved: “Wen Li”, a deactivated volunteer, already has a login with "
        "wen@example.org. If they are the same person, ask a superuser to switch that login "
        "back on (Active), then decline this sign-up."
    ) in shown
    again.refresh_from_db()
    assert again.approved_at is None
    assert mail.outbox == []


def test_a_sign_up_whose_email_a_staff_login_uses_is_left_waiting(
    coordinator_client, coordinator_login
):
    coordinator_login.email = "maria@example.org"
    coordinator_login.save()
    pending = Volunteer.objects.create(name="Maria", email="maria@example.org")

    shown = approve_and_read_the_messages(coordinator_client, [pending])

    assert (
        "Maria was not approved: the login “maria”, which is no volunteer's, already uses "
        "maria@example.org. Change that login's user name and email, or this sign-up's "
        "email, then approve again."
    ) in shown
    pending.refresh_from_db()
    assert pending.approved_at is None


def test_approving_several_sign_ups_is_all_or_nothing(
    coordinator_client, monkeypatch, django_capture_on_commit_callbacks
):
    first = Volunteer.objects.create(name="Ana", email="ana@example.org")
    second = Volunteer.objects.create(name="Ben", email="ben@example.org")
    create_user = User.objects.create_user
    made = []

    def fail_on_second(*args, **kwargs):
        made.append(kwargs["username"])
        if len(made) == 2:
            raise RuntimeError("disk full")
        return create_user(*args, **kwargs)

    monkeypatch.setattr(User.objects, "create_user", fail_on_second)

    with django_capture_on_commit_callbacks() as welcomes, pytest.raises(RuntimeError):
        run_action(coordinator_client, Volunteer, "approve", [first, second])

    assert len(made) == 2
    assert welcomes == []
    assert not Volunteer.objects.filter(approved_at__isnull=False, name__in=["Ana", "Ben"]).exists()
    assert not User.objects.filter(email__in=["ana@example.org", "ben@example.org"]).exists()


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_approving_the_same_email_at_once_make_one_login():
    first = Volunteer.objects.create(name="Dani", email="dani@example.org")
    second = Volunteer.objects.create(name="Dani F.", email="dani@example.org")
    maria, tomas = make_user("maria"), make_user("tomas")
    first_holds_the_login = threading.Event()
    let_first_commit = threading.Event()
    outcome = {}

    def approve_first():
        with transaction.atomic():
            approve_volunteer(first, by=maria)
            first_holds_the_login.set()
            let_first_commit.wait(10)
        outcome["first"] = "approved"

    def approve_second():
        try:
            approve_volunteer(second, by=tomas)
            outcome["second"] = "approved"
        except LoginTaken as taken:
            outcome["second"] = f"login taken by {taken.volunteer.name}"

    first_thread = in_thread(approve_first)
    assert first_holds_the_login.wait(10)
    second_thread = in_thread(approve_second)
    wait_until_a_query_waits_for_a_lock()
    let_first_commit.set()
    first_thread.join(10)
    second_thread.join(10)

    assert outcome == {"first": "approved", "second": "login taken by Dani"}
    assert User.objects.filter(username="dani@example.org").count() == 1
    second.refresh_from_db()
    assert second.approved_at is None


def test_declining_a_sign_up_deletes_it_and_never_an_approved_volunteer(coordinator_client):
    pending = Volunteer.objects.create(name="Spam", email="spam@example.org")
    approved = make_volunteer("Real")
    run_action(coordinator_client, Volunteer, "decline", [pending, approved])
    assert not Volunteer.objects.filter(pk=pending.pk).exists()
    assert Volunteer.objects.filter(pk=approved.pk).exists()


@pytest.mark.parametrize("how", ["the Decline action", "the Delete button"])
def test_a_declined_sign_up_leaves_no_trace_in_the_admins_history(coordinator_client, how):
    pending = Volunteer.objects.create(name="Dani Sentinel", email="dani@example.org")
    page = reverse("admin:volunteers_volunteer_change", args=[pending.pk])
    coordinator_client.post(
        page,
        {
            "name": "Dani Sentinel",
            "email": "dani@example.org",
            "phone": "617 555 0142",
            "language": "en",
            "languages": ["en"],
        },
    )
    assert LogEntry.objects.filter(object_repr="Dani Sentinel").exists()  # the check can fail

    if how == "the Decline action":
        run_action(coordinator_client, Volunteer, "decline", [pending])
    else:
        delete = reverse("admin:volunteers_volunteer_delete", args=[pending.pk])
        coordinator_client.post(delete, {"post": "yes"})

    assert not Volunteer.objects.filter(pk=pending.pk).exists()
    assert not LogEntry.objects.filter(object_repr__contains="Sentinel").exists()


def test_an_approved_volunteer_is_deactivated_never_deleted_in_the_admin(coordinator_client):
    approved = make_volunteer("Real")
    listing = coordinator_client.get(changelist(Volunteer)).content.decode()
    assert 'value="delete_selected"' not in listing

    delete_url = reverse("admin:volunteers_volunteer_delete", args=[approved.pk])
    assert coordinator_client.post(delete_url, {"post": "yes"}).status_code in {403, 404}
    assert Volunteer.objects.filter(pk=approved.pk).exists()
    change = coordinator_client.get(
        reverse("admin:volunteers_volunteer_change", args=[approved.pk])
    ).content.decode()
    assert delete_url not in change


def test_point_people_join_and_leave_the_point_person_group_with_the_pod(coordinator_client):
    pod = make_pod("Warrendale", slug="warrendale")
    ana = make_volunteer("Ana", pods=[pod])
    url = reverse("admin:volunteers_pod_change", args=[pod.pk])
    data = {"name_en": "Warrendale", "slug": "warrendale", "active": "on", "point_people": [ana.pk]}

    coordinator_client.post(url, data)
    assert ana.user.groups.filter(name="Point person").exists()

    coordinator_client.post(url, {**data, "point_people": []})
    assert not ana.user.groups.filter(name="Point person").exists()


# --- Exports ----------------------------------------------------------------------------


def exported(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_plain_export_has_no_contact_details(coordinator_client):
    neighbor = make_neighbor(
        name="Rosa", phone="+16175550142", email="rosa@example.org", address="77 Sentinel St"
    )
    aid_request = make_request(neighbor=neighbor, details="Call me at 617 555 0142")

    response = run_action(coordinator_client, Request, "export_csv", [aid_request])

    text = str(exported(response))
    assert aid_request.reference in text
    for secret in ["Rosa", "5550142", "555 0142", "rosa@example.org", "Sentinel"]:
        assert secret not in text
    assert not aid_request.events.filter(kind=EventKind.CONTACT_EXPORTED).exists()


def test_the_contact_export_needs_its_own_permission_and_is_recorded(coordinator_client):
    neighbor = make_neighbor(name='=HYPERLINK("http://evil")', phone="+16175550142")
    aid_request = make_request(neighbor=neighbor)

    refused = run_action(coordinator_client, Request, "export_csv_with_contact", [aid_request])
    assert not hasattr(refused, "streaming_content")
    assert not aid_request.events.exists()

    maria = User.objects.get(username="maria")
    maria.user_permissions.add(Permission.objects.get(codename="export_contact_details"))
    sign_in(coordinator_client, User.objects.get(pk=maria.pk))
    rows = exported(
        run_action(coordinator_client, Request, "export_csv_with_contact", [aid_request])
    )

    # A leading + would make a spreadsheet evaluate the cell: it is quoted, like =.
    assert "'+16175550142" in rows[1]
    assert '\'=HYPERLINK("http://evil")' in rows[1]
    event = aid_request.events.get(kind=EventKind.CONTACT_EXPORTED)
    assert event.actor == maria


def test_staff_without_the_export_permission_cannot_export(db):
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_request"))
    client = Client()
    sign_in(client, viewer)
    aid_request = make_request()
    response = run_action(client, Request, "export_csv", [aid_request])
    assert not hasattr(response, "streaming_content")


# --- Bulk actions -------------------------------------------------------------------------


def test_bulk_move_to_a_pod_asks_which_pod_then_moves_and_records(coordinator_client):
    requests = [make_request() for _ in range(3)]
    pod = make_pod("Prospect Hill")

    ask = run_action(coordinator_client, Request, "assign_pod", requests)
    assert ask.status_code == 200
    assert "Prospect Hill" in ask.content.decode()

    run_action(coordinator_client, Request, "assign_pod", requests, apply="1", pod=pod.pk)
    assert Request.objects.filter(pod=pod).count() == 3
    assert all(r.events.filter(kind=EventKind.POD_CHANGED).exists() for r in requests)


def test_bulk_close_as_duplicates_keeps_the_original_open(coordinator_client):
    original, copy_one, copy_two = (make_request() for _ in range(3))
    copy_two.withdraw()
    run_action(
        coordinator_client,
        Request,
        "close_as_duplicate",
        [original, copy_one, copy_two],
        apply="1",
        reference=original.reference,
    )
    statuses = dict(Request.objects.values_list("pk", "status"))
    assert statuses[original.pk] == RequestStatus.NEW
    assert statuses[copy_one.pk] == RequestStatus.DUPLICATE
    assert statuses[copy_two.pk] == RequestStatus.WITHDRAWN


def test_bulk_close_into_a_closed_request_is_refused_and_nothing_changes(coordinator_client):
    original, copy = make_request(), make_request()
    original.withdraw()

    response = run_action(
        coordinator_client,
        Request,
        "close_as_duplicate",
        [copy],
        apply="1",
        reference=original.reference,
    )

    assert response.status_code == 200  # the form again, with why
    assert "That request is closed too." in response.content.decode()
    copy.refresh_from_db()
    assert copy.status == RequestStatus.NEW


def test_closing_duplicates_tells_each_neighbor_by_email_as_a_volunteer_closing_one_would(
    coordinator_client, django_capture_on_commit_callbacks
):
    rosa = make_neighbor(name="Rosa", email="rosa@example.org", language="es")
    original, copy = make_request(neighbor=rosa), make_request(neighbor=rosa, language="es")

    with django_capture_on_commit_callbacks(execute=True):
        run_action(
            coordinator_client,
            Request,
            "close_as_duplicate",
            [copy],
            apply="1",
            reference=original.reference,
        )

    (email,) = mail.outbox
    assert email.to == ["rosa@example.org"]
    with translation.override("es"):
        assert str(Request.objects.get(pk=copy.pk).status_for_neighbor) in email.body


@pytest.mark.parametrize("action", ["assign_pod", "close_as_duplicate"])
def test_a_bulk_action_is_all_or_nothing(coordinator_client, fail_the_second_request_event, action):
    """The second request's timeline cannot be written (a disk full): the first request
    is not left moved or closed either."""
    original, *chosen = (make_request() for _ in range(4))
    pod = make_pod("Riverside")
    answers = {
        "assign_pod": {"pod": pod.pk},
        "close_as_duplicate": {"reference": original.reference},
    }
    fail_the_second_request_event()

    with pytest.raises(RuntimeError):
        run_action(coordinator_client, Request, action, chosen, apply="1", **answers[action])

    rows = Request.objects.filter(pk__in=[aid_request.pk for aid_request in chosen])
    assert list(rows.values_list("pod", "status").distinct()) == [(None, RequestStatus.NEW)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["assign_pod", "close_as_duplicate"])
def test_a_bulk_action_that_meets_a_volunteers_lock_says_try_again_and_changes_nothing(action):
    client = sign_in(Client(), make_user("maria5", groups=["Coordinator"], is_staff=True))
    original, *chosen = (make_request() for _ in range(4))
    pod = make_pod("Riverside")
    answers = {
        "assign_pod": {"pod": pod.pk},
        "close_as_duplicate": {"reference": original.reference},
    }
    with while_a_volunteer_holds(chosen[1]):
        response = run_action(client, Request, action, chosen, apply="1", **answers[action])

    follow = client.get(response["Location"]).content.decode()
    assert "Someone changed these requests at the same moment. Nothing was changed" in follow
    rows = Request.objects.filter(pk__in=[aid_request.pk for aid_request in chosen])
    assert list(rows.values_list("pod", "status").distinct()) == [(None, RequestStatus.NEW)]


@pytest.mark.parametrize("action", ["assign_pod", "close_as_duplicate"])
def test_select_all_on_more_requests_than_one_action_takes_says_to_narrow_the_list(
    coordinator_client, action
):
    """Its page would carry an id per request, and Django refuses a post of more than
    1,000 fields (a bare 400)."""
    neighbor, category = make_neighbor(), make_category()
    Request.objects.bulk_create(
        Request(neighbor=neighbor, category=category, reference=f"{n:04d}-AB")
        for n in range(BULK_AT_MOST + 1)
    )
    first = Request.objects.first()

    response = coordinator_client.post(
        changelist(Request),
        {"action": action, "select_across": "1", "index": "0", "_selected_action": [first.pk]},
        follow=True,
    )

    assert f"Choose at most {BULK_AT_MOST} requests at a time" in response.content.decode()
    assert not Request.objects.exclude(pod=None, status=RequestStatus.NEW).exists()


# --- Door flyers ---------------------------------------------------------------------------


def flyer_page(client, *pods, languages=()):
    query = [("pod", pod.slug) for pod in pods] + [("lang", code) for code in languages]
    return client.get(reverse("volunteers:flyers"), query)


def test_a_flyer_in_arabic_and_chinese_side_by_side(coordinator_client, settings):
    settings.SITE_URL = "https://aid.example.org"
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    ana = make_volunteer(
        "Ana Lúcia Souza", pods=[pod], phone="+16175550111", share_phone_on_flyer=True
    )
    pod.point_people.add(ana)
    make_category(
        "groceries", name="Groceries", name_ar="البقالة", name_zh_hans="食品", applies_to="needs"
    )

    html = flyer_page(coordinator_client, pod, languages=["ar", "zh-hans"]).content.decode()

    assert '<section class="side" lang="ar" dir="rtl">' in html
    assert '<section class="side" lang="zh-hans" dir="ltr">' in html
    assert "البقالة" in html
    assert "食品" in html
    assert "Ana " in html
    assert "Souza" not in html
    assert "(617) 555-0111" in html
    assert "aid.example.org" in html
    assert html.count("<svg") == 2
    with translation.override("ar"):
        assert translation.gettext("Neighbors helping neighbors") in html


def test_a_point_person_who_did_not_agree_is_not_on_the_flyer(coordinator_client):
    pod = make_pod()
    pod.point_people.add(make_volunteer("Quiet Person", pods=[pod], phone="+16175550122"))
    html = flyer_page(coordinator_client, pod).content.decode()
    assert "Quiet" not in html
    assert "5550122" not in html


def test_flyers_are_for_coordinators_only(client, volunteer):
    sign_in(client, volunteer.user)
    # A volunteer is not told the page exists.
    assert flyer_page(client, make_pod()).status_code == 404


# --- Reports -----------------------------------------------------------------------------


@pytest.fixture
def network_month():
    """A hand-counted month: 6 requests in 2 pods, 3 languages."""
    now = timezone.now()
    north, south = make_pod("North"), make_pod("South")
    food = make_category("food-r", name="Food")
    rides = make_category("rides-r", name="Rides")
    helper = make_volunteer("Ben")

    def made(days_ago, **fields):
        aid_request = make_request(**fields)
        Request.objects.filter(pk=aid_request.pk).update(created_at=now - timedelta(days=days_ago))
        aid_request.refresh_from_db()
        return aid_request

    fulfilled = made(10, category=food, pod=north, language="es")
    fulfilled.claim(helper)
    Claim.objects.filter(request=fulfilled).update(
        claimed_at=fulfilled.created_at + timedelta(hours=2)
    )
    fulfilled.close(RequestStatus.FULFILLED, by=None)
    Request.objects.filter(pk=fulfilled.pk).update(
        closed_at=fulfilled.created_at + timedelta(days=1)
    )

    cannot = made(9, category=rides, pod=north, language="ht")
    cannot.claim(helper)
    Claim.objects.filter(request=cannot).update(claimed_at=cannot.created_at + timedelta(hours=6))
    cannot.close(RequestStatus.COULD_NOT_HELP, by=None, note="No car")
    Request.objects.filter(pk=cannot.pk).update(closed_at=cannot.created_at + timedelta(days=3))

    stale_open = made(8, category=food, pod=south, language="es")
    stale_open.triage(by=None, pod=south, urgency=2)
    claimed = made(2, category=food, pod=south, language="en")
    claimed.claim(helper)
    Claim.objects.filter(request=claimed).update(
        claimed_at=claimed.created_at + timedelta(hours=10)
    )
    made(1, category=rides, pod=None, language="ht")
    made(200, category=food, pod=north, language="en")  # outside the 12 weeks
    make_offer(category=food)
    make_offer(category=food, status="paused")
    return now


def test_report_numbers_match_a_hand_counted_month(network_month):
    report = build_report(weeks=12, stale_days=6, now=network_month)

    assert report["totals"] == {"total": 5, "closed": 2, "helped": 1}
    assert report["share_with_outcome"] == 40
    # First claims after 2, 6 and 10 hours: the median is 6 hours.
    assert report["median_to_claim"] == timedelta(hours=6)
    # Outcomes after 1 and 3 days: the lower median is 1 day.
    assert report["median_to_outcome"] == timedelta(days=1)
    # Open and stale is the state today, whatever the period: the 200-day-old request
    # in North still waits.
    assert sorted(report["per_pod"].rows, key=str) == sorted(
        [("North", 0, 1), ("South", 1, 1), ("No pod yet", 1, 0)], key=str
    )
    assert sorted(report["by_language"].rows) == [
        ("English", 0, 0, 1),
        ("Español", 1, 0, 1),
        ("Kreyòl ayisyen", 0, 1, 1),
    ]
    assert sorted(report["by_need"].rows) == [("Food", 3), ("Rides", 2)]
    assert sorted(report["offers_vs_requests"].rows) == [("Food", 3, 1), ("Rides", 2, 0)]
    assert sum(sum(row[1:]) for row in report["weekly"].rows) == 5


def test_the_time_to_a_claim_counts_only_each_requests_first_claim(db):
    now = timezone.now()
    ana, ben = make_volunteer("Ana"), make_volunteer("Ben")
    given_back, waited = make_request(), make_request()
    for aid_request in (given_back, waited):
        Request.objects.filter(pk=aid_request.pk).update(created_at=now - timedelta(days=3))
        aid_request.refresh_from_db()
    given_back.claim(ana)
    given_back.release(by=ana.user, reason="Sick this week")
    given_back.claim(ben)
    first, second = Claim.objects.filter(request=given_back).order_by("pk")
    Claim.objects.filter(pk=first.pk).update(claimed_at=given_back.created_at + timedelta(hours=1))
    Claim.objects.filter(pk=second.pk).update(
        claimed_at=given_back.created_at + timedelta(hours=50)
    )
    waited.claim(ben)
    Claim.objects.filter(request=waited).update(claimed_at=waited.created_at + timedelta(hours=40))

    report = build_report(weeks=12, stale_days=6, now=now)

    # First claims after 1 and 40 hours (the second claim, after 50, is not a first):
    # the lower median is 1 hour.
    assert report["median_to_claim"] == timedelta(hours=1)


def test_the_report_page_shows_charts_tables_and_no_neighbor(coordinator_client, network_month):
    make_request(neighbor=make_neighbor(name="Secret Name", phone="+16175550999"))
    html = coordinator_client.get(reverse("volunteers:reports")).content.decode()
    assert html.count("<svg") == 5
    assert "<table>" in html
    assert "Secret Name" not in html
    assert "5550999" not in html


def test_each_report_table_downloads_as_csv(coordinator_client, network_month):
    response = coordinator_client.get(reverse("volunteers:reports"), {"csv": "by_need"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Need", "Requests"]
    assert sorted(rows[1:]) == [["Food", "3"], ["Rides", "2"]]


@pytest.mark.parametrize("how_many", [5, 200])
def test_reports_run_the_same_queries_whatever_the_data_size(
    coordinator_client, how_many, django_assert_max_num_queries
):
    fill(how_many)
    with django_assert_max_num_queries(16):
        assert coordinator_client.get(reverse("volunteers:reports")).status_code == 200


@pytest.mark.parametrize("weeks", ["abc", "-1", "9999999999999999999", "%00"])
def test_garbage_report_periods_fall_back_to_twelve_weeks(coordinator_client, weeks):
    assert (
        coordinator_client.get(reverse("volunteers:reports"), {"weeks": weeks}).status_code == 200
    )


def test_reports_are_for_coordinators_only(client, volunteer):
    sign_in(client, volunteer.user)
    assert client.get(reverse("volunteers:reports")).status_code == 404
    assert Group.objects.filter(name="Coordinator").exists()
