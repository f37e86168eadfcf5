"""Nothing silently rots in a queue: the follow-up engine, travelling through time."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.models import Event, EventKind, Notice, RequestStatus
from tests.factories import make_neighbor, make_request, make_volunteer, sign_in
from volunteers.followups import WHY, WHY_NOBODY_NEARBY, run_followups, send_digest

pytestmark = pytest.mark.django_db


def hours_later(hours):
    return timezone.now() + timedelta(hours=hours)


def days_later(days):
    return timezone.now() + timedelta(days=days)


def notices(aid_request, notice):
    return aid_request.events.filter(notice=notice).count()


@pytest.fixture
def paula(pod):
    person = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    person.user.email = "paula@example.org"
    person.user.save()
    pod.point_people.add(person)
    return person


@pytest.fixture
def ben(pod):
    helper = make_volunteer("Ben", pods=[pod], language="ht")
    helper.user.email = "ben@example.org"
    helper.user.save()
    return helper


@pytest.fixture
def maria(db):
    coordinator = make_volunteer("Maria", groups=["Coordinator"])
    coordinator.user.email = "maria@example.org"
    coordinator.user.save()
    return coordinator


def recipients():
    return sorted(address for email in mail.outbox for address in email.to)


# --- New requests -----------------------------------------------------------------------


def test_a_request_new_for_a_day_tells_the_pods_point_people_once(pod, paula, maria):
    aid_request = make_request(pod=pod)

    run_followups(now=hours_later(23))
    assert mail.outbox == []

    run_followups(now=hours_later(25))
    assert recipients() == ["paula@example.org"]
    assert aid_request.reference in mail.outbox[0].body
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 1

    run_followups(now=hours_later(25))
    run_followups(now=hours_later(26))
    assert len(mail.outbox) == 1
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 1


def test_after_two_days_coordinators_are_told_too(pod, paula, maria):
    aid_request = make_request(pod=pod)
    run_followups(now=hours_later(25))
    mail.outbox.clear()

    run_followups(now=hours_later(49))

    assert recipients() == ["maria@example.org", "paula@example.org"]
    assert notices(aid_request, Notice.NEW_TO_COORDINATORS) == 1


def test_a_triaged_request_is_not_chased_as_new(pod, paula):
    aid_request = make_request(pod=pod)
    aid_request.triage(by=None, pod=pod, urgency=2)
    run_followups(now=hours_later(30))
    assert mail.outbox == []


def test_one_digest_per_person_per_run_however_many_requests(pod, paula):
    requests = [make_request(pod=pod) for _ in range(3)]
    run_followups(now=hours_later(25))
    (digest,) = mail.outbox
    assert all(r.reference in digest.body for r in requests)
    assert "3" in digest.subject
    assert digest.alternatives
    assert "<img" not in digest.alternatives[0][0]


# --- Open and unclaimed -----------------------------------------------------------------


def test_an_open_request_nobody_claims_is_offered_to_the_whole_network(pod, volunteer):
    aid_request = make_request(pod=pod)
    aid_request.triage(by=None, pod=pod, urgency=2)

    run_followups(now=hours_later(47))
    aid_request.refresh_from_db()
    assert aid_request.escalated_at is None

    run_followups(now=hours_later(49))
    run_followups(now=hours_later(50))
    aid_request.refresh_from_db()
    assert aid_request.escalated_at is not None
    assert notices(aid_request, Notice.OPEN_TO_NETWORK) == 1


def test_the_queue_marks_what_is_open_to_the_whole_network(client, pod, volunteer):
    aid_request = make_request(pod=pod)
    aid_request.triage(by=None, pod=pod, urgency=2)
    run_followups(now=hours_later(49))
    sign_in(client, volunteer.user)
    assert "Open to the whole network" in client.get(reverse("volunteers:queue")).content.decode()


# --- Claims that stall ----------------------------------------------------------------


def test_a_stalled_claim_gets_a_reminder_then_is_released(pod, paula, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)

    run_followups(now=days_later(5))
    assert mail.outbox == []

    run_followups(now=days_later(6.5))
    run_followups(now=days_later(7))
    assert recipients() == ["ben@example.org"]
    assert notices(aid_request, Notice.CLAIM_REMINDER) == 1
    mail.outbox.clear()

    run_followups(now=days_later(9.5))
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.OPEN
    assert aid_request.events.filter(kind=EventKind.RELEASED).exists()
    assert recipients() == ["ben@example.org", "paula@example.org"]


def test_work_on_a_claim_resets_its_clock(pod, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    run_followups(now=days_later(6.5))
    assert notices(aid_request, Notice.CLAIM_REMINDER) == 1
    Event.objects.create(
        request=aid_request, kind=EventKind.NOTE, actor=ben.user, created_at=days_later(6.6)
    )

    run_followups(now=days_later(7))  # less than a day after that note
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.CLAIMED
    assert notices(aid_request, Notice.CLAIM_REMINDER) == 1


# --- Messages and outcomes ------------------------------------------------------------


def test_an_unanswered_neighbor_message_tells_the_claimer_and_point_people(pod, paula, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Still coming?")

    run_followups(now=hours_later(23))
    assert mail.outbox == []
    run_followups(now=hours_later(25))
    run_followups(now=hours_later(26))
    assert recipients() == ["ben@example.org", "paula@example.org"]
    assert notices(aid_request, Notice.MESSAGE_UNANSWERED) == 1


def test_an_answered_message_is_left_alone(pod, paula, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Still coming?")
    aid_request.record(EventKind.MESSAGE_TO_NEIGHBOR, by=ben.user, text="Yes, at 5.")
    run_followups(now=hours_later(25))
    assert notices(aid_request, Notice.MESSAGE_UNANSWERED) == 0


def test_an_outcome_a_phone_only_neighbor_has_not_heard_stays_on_my_work(client, pod, ben):
    aid_request = make_request(pod=pod, neighbor=make_neighbor(email=""))
    aid_request.claim(ben)
    aid_request.close(RequestStatus.FULFILLED, by=ben.user)
    sign_in(client, ben.user)
    my_work = reverse("volunteers:my_work")

    assert aid_request.reference in client.get(my_work).content.decode()
    client.post(reverse("volunteers:told", args=[aid_request.reference]))
    assert aid_request.reference not in client.get(my_work).content.decode()


# --- The command and the emails --------------------------------------------------------


def test_the_command_says_what_it_did(pod, paula):
    make_request(pod=pod, created_at=timezone.now() - timedelta(hours=30))
    out = StringIO()
    call_command("run_followups", stdout=out)
    assert "Emails sent: 1" in out.getvalue()
    out = StringIO()
    call_command("run_followups", stdout=out)
    assert "Emails sent: 0" in out.getvalue()


@pytest.mark.parametrize(("code", "_name"), settings.LANGUAGES)
def test_the_digest_reads_in_each_language(pod, code, _name):
    helper = make_volunteer("Ana", language=code)
    helper.user.email = "ana@example.org"
    aid_request = make_request(pod=pod)
    reasons = [*WHY.values(), *WHY_NOBODY_NEARBY.values()]
    send_digest(helper.user, [(aid_request, why) for why in reasons])
    (email,) = mail.outbox
    with translation.override(code):
        expected = [
            translation.gettext("These requests need someone. Thank you for looking:"),
            *(str(why) for why in reasons),
        ]
    for text in expected:
        assert text in email.body
    if code != "en":
        assert "These requests need someone" not in email.body
    assert f"/{code}/work/requests/{aid_request.reference}/" in email.body


def test_an_unanswered_message_with_nobody_nearby_goes_to_the_coordinators(maria):
    aid_request = make_request(pod=None)
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Hello?")
    run_followups(now=hours_later(25))
    assert "maria@example.org" in recipients()


# --- Nobody nearby can be emailed: the coordinators are told -------------------------


@pytest.fixture
def leo(pod):
    """A volunteer who gave only a phone number: no email reaches him."""
    return make_volunteer("Leo", pods=[pod])


def test_a_request_new_for_a_day_in_no_pod_tells_the_coordinators(maria):
    aid_request = make_request(pod=None)

    run_followups(now=hours_later(25))

    assert recipients() == ["maria@example.org"]
    assert str(WHY[Notice.NEW_TO_POINT_PEOPLE]) in mail.outbox[0].body
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 1


def test_a_pod_whose_only_point_person_has_no_email_tells_the_coordinators(pod, leo, maria):
    pod.point_people.add(leo)
    aid_request = make_request(pod=pod)

    run_followups(now=hours_later(25))

    assert recipients() == ["maria@example.org"]
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 1


def test_an_unanswered_message_to_a_phone_only_claimer_goes_to_the_coordinators(pod, leo, maria):
    aid_request = make_request(pod=pod)
    aid_request.claim(leo)
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Still coming?")

    run_followups(now=hours_later(25))

    assert recipients() == ["maria@example.org"]
    assert notices(aid_request, Notice.MESSAGE_UNANSWERED) == 1


def test_a_stalled_claim_of_a_phone_only_volunteer_asks_the_coordinators_to_reach_them(
    pod, leo, maria
):
    aid_request = make_request(pod=pod)
    aid_request.claim(leo)

    run_followups(now=days_later(6.5))

    assert recipients() == ["maria@example.org"]
    assert str(WHY_NOBODY_NEARBY[Notice.CLAIM_REMINDER]) in mail.outbox[0].body
    assert "You took this request" not in mail.outbox[0].body
    mail.outbox.clear()

    run_followups(now=days_later(9.5))
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.OPEN
    assert recipients() == ["maria@example.org"]


def test_a_notice_nobody_can_be_emailed_waits_for_the_next_run_and_says_so(maria, caplog):
    maria.user.email = ""
    maria.user.save()
    aid_request = make_request(pod=None, created_at=timezone.now() - timedelta(hours=30))

    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.WARNING, logger="volunteers.followups"):
        call_command("run_followups", stdout=out, stderr=err)

    assert mail.outbox == []
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 0
    assert "left for the next run: 1" in err.getvalue()
    assert f"Nobody can be emailed about request {aid_request.reference}" in caplog.text

    maria.user.email = "maria@example.org"
    maria.user.save()
    call_command("run_followups", stdout=StringIO(), stderr=StringIO())
    assert recipients() == ["maria@example.org"]
    assert notices(aid_request, Notice.NEW_TO_POINT_PEOPLE) == 1
