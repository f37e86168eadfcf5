"""Keep as little as we can, for as short as we can: a neighbor's contact details go 30
days after their last request or offer ended, coordinators are told a week before, and
only a reason keeps them longer."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from requests_app.models import AuditAction, AuditEntry, EventKind, Neighbor, OfferStatus
from tests.factories import (
    ask_data,
    make_neighbor,
    make_offer,
    make_request,
    make_user,
    make_volunteer,
    sign_in,
)
from volunteers.retention import run_retention

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"
SENTINELS = ["6175550142", "617 555 0142", "Sentinel", "sentinel@example.org"]


def closed_days_ago(aid_request, days, volunteer):
    aid_request.claim(volunteer)
    aid_request.close("fulfilled", by=volunteer.user, note="Left the bags at 77 Sentinel St")
    aid_request.__class__.objects.filter(pk=aid_request.pk).update(
        closed_at=timezone.now() - timedelta(days=days)
    )


def database_dump():
    """Every byte the database holds, as pg_dump writes it (data only, as text)."""
    db = connection.settings_dict
    command = [PG_DUMP, "--data-only", "-U", db["USER"] or "postgres", db["NAME"]]
    if db["HOST"]:
        command[1:1] = ["-h", db["HOST"]]
    if db["PORT"]:
        command[1:1] = ["-p", str(db["PORT"])]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.django_db(transaction=True)
def test_after_thirty_days_nothing_identifying_survives_anywhere_in_the_database(
    client, pod, volunteer
):
    client.post(
        reverse("requests_app:ask"),
        ask_data(
            name="Sentinel Neighbor",
            phone="617 555 0142",
            email="sentinel@example.org",
            address="77 Sentinel St",
            details="Call me at 617 555 0142, door code at 77 Sentinel St",
        ),
    )
    neighbor = Neighbor.objects.get(phone="+16175550142")
    aid_request = neighbor.requests.get()
    aid_request.record(
        EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="I'm Sentinel, 617 555 0142"
    )
    closed_days_ago(aid_request, 31, volunteer)
    assert "6175550142" in database_dump()  # the check below can fail

    run = run_retention()

    assert run.erased == 1
    dump = database_dump()
    assert [line for line in dump.splitlines() if any(s in line for s in SENTINELS)] == []
    neighbor.refresh_from_db()
    aid_request.refresh_from_db()
    assert neighbor.contact_erased_at is not None
    # The record stays, anonymous, so the reports still count it.
    assert aid_request.status == "fulfilled"
    assert aid_request.events.filter(kind=EventKind.CONTACT_ERASED).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.CONTACT_ERASED, subject=f"neighbor {neighbor.pk}"
    ).exists()


@pytest.mark.django_db
def test_help_still_under_way_keeps_the_details(volunteer):
    neighbor = make_neighbor()
    closed_days_ago(make_request(neighbor=neighbor), 60, volunteer)
    make_request(neighbor=neighbor)  # asked again: still new
    assert run_retention().erased == 0
    neighbor.refresh_from_db()
    assert neighbor.phone


@pytest.mark.django_db
def test_a_standing_offer_keeps_the_details_and_an_ended_one_counts_from_its_end(volunteer):
    neighbor = make_neighbor()
    closed_days_ago(make_request(neighbor=neighbor), 60, volunteer)
    offer = make_offer(neighbor=neighbor)
    assert run_retention().erased == 0

    offer.move_to(OfferStatus.FINISHED)
    assert run_retention().erased == 0  # ended today: thirty more days
    type(offer).objects.filter(pk=offer.pk).update(ended_at=timezone.now() - timedelta(days=31))
    assert run_retention().erased == 1


@pytest.mark.django_db
def test_an_offer_past_its_end_date_loses_its_words_with_the_details(volunteer):
    neighbor = make_neighbor()
    closed_days_ago(make_request(neighbor=neighbor), 60, volunteer)
    lapsed = make_offer(
        neighbor=neighbor,
        details="Rides from 77 Sentinel St",
        area="Sentinel St",
        until=timezone.localdate() - timedelta(days=40),
    )

    assert run_retention().erased == 1

    lapsed.refresh_from_db()
    assert (lapsed.details, lapsed.area) == ("", "")


@pytest.mark.django_db
def test_what_was_written_about_help_under_way_when_the_details_went_goes_after_it_ends(
    client, volunteer
):
    client.post(reverse("requests_app:ask"), ask_data(details="Door code 4411, 77 Sentinel St"))
    aid_request = Neighbor.objects.get().requests.get()
    aid_request.claim(volunteer)
    # The neighbor deletes their details while Ana is still helping: the details stay,
    # or she could not do it.
    client.post(reverse("requests_app:erase_contact", args=[aid_request.status_token]))
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="At 77 Sentinel St")
    aid_request.close("fulfilled", by=volunteer.user, note="Left the bags at 77 Sentinel St")

    def written():
        aid_request.refresh_from_db()
        texts = [aid_request.details, aid_request.outcome_note]
        return [*texts, *aid_request.events.values_list("text", flat=True)]

    soon = run_retention(now=timezone.now() + timedelta(days=29))
    assert soon.done["words_erased"] == 0
    assert len([text for text in written() if "Sentinel" in text]) == 3

    later = timezone.now() + timedelta(days=31)
    assert run_retention(now=later).done["words_erased"] == 1
    assert [text for text in written() if "Sentinel" in text] == []
    assert aid_request.events.filter(kind=EventKind.CONTACT_ERASED).count() == 2
    assert run_retention(now=later).done["words_erased"] == 0  # nothing twice


@pytest.mark.django_db
def test_coordinators_are_told_a_week_before_once_without_any_contact_details(volunteer):
    coordinator = make_volunteer("Maria", groups=["Coordinator"])
    coordinator.user.email = "maria@example.org"
    coordinator.user.save()
    neighbor = make_neighbor(name="Sentinel Neighbor", phone="+16175550142")
    closed_days_ago(make_request(neighbor=neighbor), 25, volunteer)

    first = run_retention()
    second = run_retention()

    assert (first.done["noticed"], second.done["noticed"]) == (1, 0)
    [email] = [m for m in mail.outbox if m.to == ["maria@example.org"]]
    body = email.body + email.alternatives[0][0]
    assert f"#{neighbor.pk}" in body
    assert reverse("admin:requests_app_neighbor_change", args=[neighbor.pk]) in body
    assert [s for s in SENTINELS if s in body + email.subject] == []
    neighbor.refresh_from_db()
    assert neighbor.phone  # told, not yet erased


@pytest.mark.django_db
def test_a_coordinator_keeps_a_record_longer_only_with_a_reason_that_is_audited(client, volunteer):
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)
    sign_in(client, coordinator)
    neighbor = make_neighbor()
    closed_days_ago(make_request(neighbor=neighbor), 31, volunteer)
    url = reverse("admin:requests_app_neighbor_change", args=[neighbor.pk])
    later = (timezone.localdate() + timedelta(days=60)).isoformat()
    form = {
        "name": neighbor.name,
        "phone": neighbor.phone,
        "language": "en",
        "keep_until": later,
        "keep_reason": "",
    }

    without_reason = client.post(url, form)
    assert without_reason.status_code == 200
    assert "the reason goes on the audit trail" in without_reason.content.decode()
    neighbor.refresh_from_db()
    assert neighbor.keep_until is None

    client.post(url, form | {"keep_reason": "Housing case still open with the city"})
    neighbor.refresh_from_db()
    assert neighbor.keep_until.isoformat() == later
    entry = AuditEntry.objects.get(action=AuditAction.KEPT_LONGER)
    assert entry.username == "maria"
    # The trail is never erased: it says when and that there was a reason, not what.
    assert entry.detail == f"until {later}, with a reason"

    assert run_retention().erased == 0
    assert run_retention(now=timezone.now() + timedelta(days=61)).erased == 1
    neighbor.refresh_from_db()
    assert (neighbor.keep_until, neighbor.keep_reason) == (None, "")


@pytest.mark.django_db
def test_the_neighbors_own_button_erases_through_the_same_path(client, volunteer):
    client.post(reverse("requests_app:ask"), ask_data(address="77 Sentinel St"))
    neighbor = Neighbor.objects.get()
    aid_request = neighbor.requests.get()
    closed_days_ago(aid_request, 1, volunteer)

    client.post(reverse("requests_app:erase_contact", args=[aid_request.status_token]))

    neighbor.refresh_from_db()
    aid_request.refresh_from_db()
    assert (neighbor.phone, neighbor.address, aid_request.details) == ("", "", "")
    entry = AuditEntry.objects.get(action=AuditAction.CONTACT_ERASED)
    assert entry.detail == "by the neighbor"
    # What the volunteer wrote about the finished help went too.
    assert not aid_request.events.filter(text__contains="Sentinel").exists()


@pytest.mark.django_db
def test_run_followups_runs_the_retention_job_too(volunteer):
    neighbor = make_neighbor()
    closed_days_ago(make_request(neighbor=neighbor), 31, volunteer)
    call_command("run_followups", stdout=io.StringIO())
    neighbor.refresh_from_db()
    assert neighbor.contact_erased_at is not None
