"""Volunteers triage, claim and close requests; contact details only for who needs them."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from requests_app.models import (
    Claim,
    Event,
    EventKind,
    InvalidTransition,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
)
from tests.factories import (
    ask_data,
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_user,
    make_volunteer,
    sign_in,
)
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def url(name, *args, language="en"):
    with translation.override(language):
        return reverse(f"volunteers:{name}", args=args)


def signed_in(client, volunteer):
    sign_in(client, volunteer.user)
    return client


@pytest.fixture
def open_request(pod, point_person):
    neighbor = make_neighbor(
        name="Rosa",
        phone="+16175550142",
        email="rosa@example.org",
        language="es",
        address="77 Sentinel St",
        share_with_point_people=True,
    )
    aid_request = make_request(neighbor=neighbor, details="Leche y pan", language="es")
    aid_request.triage(by=point_person.user, pod=pod, urgency=1)
    return aid_request


def contact_views(aid_request):
    return aid_request.events.filter(kind=EventKind.CONTACT_VIEWED).count()


# --- Signing in --------------------------------------------------------------------------


def test_an_approved_volunteer_signs_in_and_lands_on_the_queue(client, volunteer):
    volunteer.user.set_password("a good long password")
    volunteer.user.save()
    response = client.post(
        url("login"), {"username": volunteer.user.username, "password": "a good long password"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("queue")


def test_a_pending_volunteer_cannot_sign_in_and_is_told_why(client, pod):
    user = make_user("waiting")
    Volunteer.objects.create(user=user, name="Wen", approved_at=None)
    response = client.post(url("login", language="es"), {"username": "waiting", "password": "pw"})
    assert response.status_code == 200
    with translation.override("es"):
        expected = escape(
            translation.gettext("Your sign-up is waiting for a coordinator's approval.")
        )
    assert expected in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_in_the_page_language(client, volunteer):
    volunteer.user.email = "ana@example.org"
    volunteer.user.save()
    client.post(url("password_reset", language="pt-br"), {"email": "ana@example.org"})
    (email,) = mail.outbox
    assert "/pt-br/accounts/reset/" in email.body
    with translation.override("pt-br"):
        assert (
            translation.gettext("If you did not ask for this, you can ignore this email.")
            in email.body
        )


def test_the_workspace_is_closed_to_people_who_are_not_signed_in(client, open_request):
    response = client.get(url("queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(url("login"))


# --- The queue ---------------------------------------------------------------------------


def test_the_queue_shows_my_pods_first_then_the_network_without_contact_details(
    client, volunteer, open_request
):
    elsewhere = make_request(
        details="Somewhere else", language="es", neighbor=make_neighbor(phone="+16175550199")
    )
    elsewhere.triage(by=None, pod=make_pod("Far away"), urgency=1)

    html = signed_in(client, volunteer).get(url("queue")).content.decode()

    assert html.index(open_request.reference) < html.index(elsewhere.reference)
    assert "Leche y pan" in html
    assert "0142" not in html  # the phone; a bare "617" can be inside a random token
    assert "77 Sentinel St" not in html
    assert "rosa@example.org" not in html


def test_the_queue_filters_by_language_and_unclaimed(client, volunteer, open_request, pod):
    creole = make_request(language="ht", neighbor=make_neighbor(language="ht"))
    creole.triage(by=None, pod=pod, urgency=2)
    signed_in(client, volunteer)

    by_language = client.get(url("queue"), {"language": "ht"}).content.decode()
    assert creole.reference in by_language
    assert open_request.reference not in by_language

    creole.claim(make_volunteer("Ben", pods=[pod]))
    claimed = client.get(url("queue"), {"status": "claimed"}).content.decode()
    assert creole.reference in claimed
    assert "Ben" in claimed
    unclaimed = client.get(url("queue"), {"status": "claimed", "unclaimed": "on"}).content.decode()
    assert creole.reference not in unclaimed


@pytest.mark.parametrize(
    "query",
    [
        {"page": "x"},
        {"page": "99999999999999"},
        {"pod": "abc"},
        {"urgency": "+"},
        {"need": "%00"},
        {"older_than": "-5"},
    ],
)
def test_garbage_in_the_queue_query_string_never_crashes(client, volunteer, open_request, query):
    assert signed_in(client, volunteer).get(url("queue"), query).status_code == 200


@pytest.mark.parametrize("how_many", [5, 200])
def test_the_queue_runs_the_same_queries_for_5_or_200_requests(
    client, volunteer, pod, how_many, django_assert_max_num_queries
):
    helper = make_volunteer("Ben", pods=[pod])
    category = make_category("groceries")
    neighbor = make_neighbor()
    for n in range(how_many):
        aid_request = make_request(neighbor=neighbor, category=category, pod=pod)
        if n % 2:
            aid_request.claim(helper)
    signed_in(client, volunteer)
    with django_assert_max_num_queries(12):
        response = client.get(url("queue"), {"status": "claimed"})
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url("queue")).status_code == 200


@pytest.mark.parametrize("how_many", [5, 200])
def test_the_request_page_runs_the_same_queries_however_long_its_story(
    client, volunteer, pod, how_many, django_assert_max_num_queries
):
    aid_request = make_request(pod=pod)
    for n in range(how_many):
        aid_request.record(EventKind.NOTE, by=volunteer.user, text=f"note {n}")
        make_offer(category=aid_request.category, pod=pod, neighbor=aid_request.neighbor)
    signed_in(client, volunteer)
    with django_assert_max_num_queries(16):
        assert client.get(url("request", aid_request.reference)).status_code == 200


# --- Claiming and the contact details ----------------------------------------------------


def test_a_volunteer_claims_then_sees_the_phone_and_the_look_is_recorded(
    client, volunteer, open_request
):
    signed_in(client, volunteer)
    before = client.get(url("contact", open_request.reference))
    assert before.status_code == 302
    assert contact_views(open_request) == 0

    client.post(url("claim", open_request.reference))
    response = client.get(url("contact", open_request.reference))

    html = response.content.decode()
    assert "+16175550142" in html
    assert "77 Sentinel St" in html
    assert "no-store" in response["Cache-Control"]
    event = open_request.events.get(kind=EventKind.CONTACT_VIEWED)
    assert event.actor == volunteer.user


def test_claiming_is_post_only(client, volunteer, open_request):
    assert signed_in(client, volunteer).get(url("claim", open_request.reference)).status_code == 405
    assert not open_request.claims.exists()


def test_a_point_person_sees_contact_only_when_the_neighbor_agreed(client, point_person, pod):
    agreed = make_request(pod=pod, neighbor=make_neighbor(share_with_point_people=True))
    declined = make_request(pod=pod, neighbor=make_neighbor(share_with_point_people=False))
    signed_in(client, point_person)
    assert client.get(url("contact", agreed.reference)).status_code == 200
    assert client.get(url("contact", declined.reference)).status_code == 302
    assert contact_views(declined) == 0


def test_a_coordinator_sees_contact_details_of_any_request(client, coordinator):
    aid_request = make_request()
    assert (
        signed_in(client, coordinator).get(url("contact", aid_request.reference)).status_code == 200
    )
    assert contact_views(aid_request) == 1


def test_a_second_claim_is_told_who_has_it_and_changes_nothing(
    client, volunteer, open_request, pod
):
    open_request.claim(make_volunteer("Ana Lúcia", pods=[pod]))
    response = signed_in(client, volunteer).post(url("claim", open_request.reference), follow=True)
    assert "Already taken by Ana Lúcia" in response.content.decode()
    assert Claim.objects.filter(request=open_request).count() == 1


def test_claiming_a_closed_request_is_refused_clearly(client, volunteer, open_request):
    open_request.withdraw()
    response = signed_in(client, volunteer).post(url("claim", open_request.reference), follow=True)
    assert "This request is closed" in response.content.decode()
    assert not open_request.claims.exists()


# --- Release, messages, notes, outcomes --------------------------------------------------


def test_the_claimer_releases_with_a_reason_that_lands_on_the_timeline(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    signed_in(client, volunteer).post(
        url("release", open_request.reference), {"reason": "Sick this week"}
    )
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.OPEN
    assert open_request.events.filter(kind=EventKind.RELEASED, text="Sick this week").exists()


def test_a_release_without_a_reason_is_explained_and_changes_nothing(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("release", open_request.reference), {"reason": ""}
    )
    assert response.status_code == 400
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.CLAIMED


def test_a_volunteer_who_falls_ill_gives_back_everything_at_once(client, volunteer, pod):
    """Ana has three requests and a fever: one button, a few words for the pod, and all
    three are open again. Ben's request and Ana's finished one stay as they are."""
    held = [make_request(pod=pod) for _n in range(3)]
    for aid_request in held:
        aid_request.claim(volunteer)
    done = make_request(pod=pod)
    done.claim(volunteer)
    done.close(RequestStatus.FULFILLED, by=volunteer.user)
    bens = make_request(pod=pod)
    bens.claim(make_volunteer("Ben", pods=[pod]))
    signed_in(client, volunteer)
    my_work = client.get(url("my_work", language="es")).content.decode()
    assert url("give_back", language="es") in my_work

    response = client.post(
        url("give_back", language="es"), {"reason": "Tengo fiebre, lo siento."}, follow=True
    )

    assert response.redirect_chain[-1][0] == url("my_work", language="es")
    with translation.override("es"):
        said = translation.ngettext(
            "%(count)d request went back to its pod. Thank you for saying so.",
            "%(count)d requests went back to their pods. Thank you for saying so.",
            3,
        ) % {"count": 3}
    assert said in response.content.decode()
    for aid_request in held:
        aid_request.refresh_from_db()
        assert aid_request.status == RequestStatus.OPEN
        assert aid_request.events.filter(
            kind=EventKind.RELEASED, text="Tengo fiebre, lo siento.", actor=volunteer.user
        ).exists()
    assert not Request.objects.claimed_by(volunteer).filter(status=RequestStatus.CLAIMED).exists()
    done.refresh_from_db()
    bens.refresh_from_db()
    assert (done.status, bens.status) == (RequestStatus.FULFILLED, RequestStatus.CLAIMED)
    assert url("give_back", language="es") not in response.content.decode()  # nothing held


def test_giving_everything_back_without_a_word_for_the_pod_changes_nothing(client, volunteer, pod):
    held = make_request(pod=pod)
    held.claim(volunteer)

    response = signed_in(client, volunteer).post(url("give_back", language="ht"), {"reason": " "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "<details open>" in html
    with translation.override("ht"):
        assert translation.gettext("This field is required.") in html
    held.refresh_from_db()
    assert held.status == RequestStatus.CLAIMED


def test_giving_back_with_nothing_held_says_so(client, volunteer):
    response = signed_in(client, volunteer).post(url("give_back"), {"reason": "Away"}, follow=True)
    assert "You had no requests to give back." in response.content.decode()


def test_closing_someone_elses_claim_is_refused_and_changes_nothing(
    client, volunteer, open_request, pod
):
    open_request.claim(make_volunteer("Ben", pods=[pod]))
    response = signed_in(client, volunteer).post(
        url("close", open_request.reference), {"outcome": RequestStatus.FULFILLED}, follow=True
    )
    assert "You cannot do that on this request." in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.CLAIMED


def test_closing_as_fulfilled_emails_the_neighbor_in_their_language(
    client, volunteer, open_request, django_capture_on_commit_callbacks
):
    open_request.claim(volunteer)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(client, volunteer).post(
            url("close", open_request.reference),
            {"outcome": RequestStatus.FULFILLED, "note": "Entregado."},
        )
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.FULFILLED
    (email,) = mail.outbox
    assert email.to == ["rosa@example.org"]
    assert "Entregado." in email.body
    assert "/es/status/" in email.body
    with translation.override("es"):
        assert str(open_request.status_for_neighbor) in email.body


def test_could_not_help_without_a_reason_keeps_the_form_and_changes_nothing(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("close", open_request.reference), {"outcome": RequestStatus.COULD_NOT_HELP, "note": ""}
    )
    assert response.status_code == 400
    assert "Say why we could not help" in response.content.decode()
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.CLAIMED


def test_unreachable_only_after_the_tries_are_logged(client, volunteer, open_request):
    open_request.claim(volunteer)
    signed_in(client, volunteer)
    close = {"outcome": RequestStatus.UNREACHABLE}
    assert client.post(url("close", open_request.reference), close).status_code == 400
    client.post(url("attempt", open_request.reference), {"text": "No answer"})
    client.post(url("attempt", open_request.reference), {"text": "Voicemail"})
    assert client.post(url("close", open_request.reference), close).status_code == 302
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.UNREACHABLE


def test_a_duplicate_names_the_other_reference(client, volunteer, open_request):
    other = make_request(neighbor=open_request.neighbor)
    open_request.claim(volunteer)
    signed_in(client, volunteer)
    bad = client.post(
        url("close", open_request.reference),
        {"outcome": RequestStatus.DUPLICATE, "duplicate_of": "ZZZZ-ZZ"},
    )
    assert bad.status_code == 400
    client.post(
        url("close", open_request.reference),
        {
            "outcome": RequestStatus.DUPLICATE,
            "duplicate_of": other.reference.lower().replace("-", ""),
        },
    )
    open_request.refresh_from_db()
    assert open_request.duplicate_of == other


def test_a_duplicate_of_a_closed_request_is_refused_and_the_note_kept(
    client, volunteer, open_request
):
    other = make_request(neighbor=open_request.neighbor)
    other.close(RequestStatus.WITHDRAWN, by=None)
    open_request.claim(volunteer)
    signed_in(client, volunteer)

    response = client.post(
        url("close", open_request.reference),
        {"outcome": RequestStatus.DUPLICATE, "duplicate_of": other.reference, "note": "Same"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "That request is closed too." in html
    assert "Same</textarea>" in html
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.CLAIMED
    assert mail.outbox == []


def test_a_message_to_a_phone_only_neighbor_tells_the_claimer_what_to_say(client, volunteer, pod):
    aid_request = make_request(pod=pod, neighbor=make_neighbor(email=""))
    aid_request.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("message", aid_request.reference), {"text": "I will come at 5pm."}, follow=True
    )
    assert "This neighbor has no email" in response.content.decode()
    assert "I will come at 5pm." in response.content.decode()
    assert aid_request.events.filter(kind=EventKind.MESSAGE_TO_NEIGHBOR).exists()
    assert mail.outbox == []


def test_a_message_reaches_the_neighbors_status_page(client, volunteer, open_request):
    open_request.claim(volunteer)
    signed_in(client, volunteer).post(
        url("message", open_request.reference), {"text": "Voy a las 5."}
    )
    with translation.override("es"):
        status_url = reverse("requests_app:status", args=[open_request.status_token])
    assert "Voy a las 5." in client.get(status_url).content.decode()


def test_an_internal_note_never_reaches_the_neighbor(client, volunteer, open_request):
    signed_in(client, volunteer).post(
        url("note", open_request.reference), {"text": "Dog is friendly"}
    )
    assert open_request.events.filter(kind=EventKind.NOTE).exists()
    with translation.override("es"):
        status_url = reverse("requests_app:status", args=[open_request.status_token])
    assert "Dog is friendly" not in client.get(status_url).content.decode()


# --- Point people ------------------------------------------------------------------------


def test_a_point_person_triages_a_new_request(client, point_person, pod):
    aid_request = make_request()
    signed_in(client, point_person).post(
        url("triage", aid_request.reference), {"pod": pod.pk, "urgency": 1}
    )
    aid_request.refresh_from_db()
    assert (aid_request.status, aid_request.pod, aid_request.urgency) == (
        RequestStatus.OPEN,
        pod,
        1,
    )


def test_a_plain_volunteer_cannot_triage(client, volunteer, pod):
    aid_request = make_request()
    signed_in(client, volunteer).post(
        url("triage", aid_request.reference), {"pod": pod.pk, "urgency": 1}
    )
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.NEW


def test_a_point_person_reassigns_and_reopens(client, point_person, open_request, pod):
    ben = make_volunteer("Ben", pods=[pod])
    chen = make_volunteer("Chen", pods=[pod])
    open_request.claim(ben)
    signed_in(client, point_person)

    client.post(url("reassign", open_request.reference), {"volunteer": chen.pk})
    assert Request.objects.get(pk=open_request.pk).active_claim.volunteer == chen
    # Nothing in the point person's own language is written down as if someone typed it.
    released = open_request.events.get(kind=EventKind.RELEASED)
    assert released.text == ""
    assert open_request.events.get(kind=EventKind.REASSIGNED).text == "Chen"

    open_request.refresh_from_db()
    open_request.close(RequestStatus.FULFILLED, by=chen.user)
    client.post(url("reopen", open_request.reference), {"reason": "She needs more"})
    open_request.refresh_from_db()
    assert open_request.status == RequestStatus.OPEN
    assert open_request.active_claim is None


# --- On someone's behalf, matching, my work ----------------------------------------------


def test_a_volunteer_takes_a_phone_request_for_a_known_neighbor(client, volunteer, open_request):
    # What the neighbor says on the phone is what is on file: the same record.
    data = ask_data(
        channel="phone",
        phone="617 555 0142",
        email="rosa@example.org",
        language="es",
        address="77 Sentinel St",
        best_time="",
        preferred_contact="",
        share_with_point_people="yes",
        started="",
        homepage="",
    )
    response = signed_in(client, volunteer).post(url("take_request"), data)
    assert response.status_code == 302
    taken = Request.objects.latest("pk")
    assert taken.channel == "phone"
    assert taken.entered_by == volunteer.user
    assert taken.neighbor == open_request.neighbor
    assert taken.events.get().actor == volunteer.user
    page = client.get(response["Location"]).content.decode()
    assert taken.reference in page
    assert taken.status_token in page


def test_volunteers_are_not_rate_limited_when_taking_requests(client, volunteer):
    signed_in(client, volunteer)
    for _ in range(8):
        assert client.post(url("take_request"), ask_data(channel="letter")).status_code == 302


def test_connecting_a_single_use_offer_claims_the_request_and_uses_the_offer(
    client, volunteer, open_request, pod
):
    offer = make_offer(category=open_request.category, pod=pod, languages=["es"])
    signed_in(client, volunteer)
    page = client.get(url("request", open_request.reference)).content.decode()
    assert offer.reference in page

    client.post(url("connect", open_request.reference, offer.reference))

    open_request.refresh_from_db()
    offer.refresh_from_db()
    assert open_request.active_claim.volunteer == volunteer
    assert open_request.matched_offer == offer
    assert offer.status == OfferStatus.FINISHED


@pytest.mark.parametrize("held_by_me", [True, False])
def test_an_offer_is_not_used_up_on_a_request_closed_meanwhile(
    client, volunteer, open_request, pod, held_by_me
):
    offer = make_offer(category=open_request.category, pod=pod)
    if held_by_me:
        open_request.claim(volunteer)
    open_request.close(RequestStatus.DONE_BY_OTHERS, by=None)
    signed_in(client, volunteer)

    response = client.post(url("connect", open_request.reference, offer.reference), follow=True)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.AVAILABLE
    open_request.refresh_from_db()
    assert open_request.matched_offer is None
    assert not open_request.events.filter(kind=EventKind.MATCHED).exists()
    assert "This request is closed, so it cannot be claimed." in response.content.decode()


def test_an_offer_without_a_pod_shows_where_it_can_help(client, volunteer, open_request, pod):
    in_pod = make_offer(category=open_request.category, pod=pod)
    anywhere = make_offer(category=open_request.category, pod=None, area="Moody St to the river")
    signed_in(client, volunteer)
    page = client.get(url("request", open_request.reference)).content.decode()
    assert in_pod.reference in page
    assert anywhere.reference in page
    assert "Moody St to the river" in page
    assert pod.name in page


def test_offers_are_ranked_need_then_shared_language_then_pod(client, volunteer, open_request, pod):
    other_pod = make_pod()
    near_in_spanish = make_offer(category=open_request.category, pod=pod, languages=["es"])
    far_in_spanish = make_offer(category=open_request.category, pod=other_pod, languages=["es"])
    near_in_english = make_offer(category=open_request.category, pod=pod, languages=["en"])
    other_need_near = make_offer(category=make_category("pets"), pod=pod, languages=["es"])
    html = signed_in(client, volunteer).get(url("request", open_request.reference)).content.decode()
    order = [
        html.index(o.reference)
        for o in (near_in_spanish, far_in_spanish, near_in_english, other_need_near)
    ]
    assert order == sorted(order)
    assert Offer.objects.count() == 4


def test_my_work_lists_my_claims_and_what_needs_attention_in_my_pods(client, point_person, pod):
    mine = make_request(pod=pod)
    mine.claim(point_person)
    forgotten = make_request(pod=pod)
    Request.objects.filter(pk=forgotten.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=3)
    )
    unanswered = make_request(pod=pod)
    unanswered.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Hello?")
    fresh = make_request(pod=pod)

    html = signed_in(client, point_person).get(url("my_work")).content.decode()

    mine_section, attention = html.split("Needs attention")
    assert mine.reference in mine_section
    assert forgotten.reference in attention
    assert unanswered.reference in attention
    assert fresh.reference not in html
    assert Event.objects.filter(request=unanswered).count() == 1


def test_helpers_stop_seeing_contact_details_after_a_request_ends(
    client, volunteer, point_person, open_request, settings
):
    open_request.claim(volunteer)
    open_request.close(RequestStatus.FULFILLED, by=volunteer.user)
    signed_in(client, volunteer)
    # A few days to tell the neighbor how it ended...
    assert client.get(url("contact", open_request.reference)).status_code == 200
    Request.objects.filter(pk=open_request.pk).update(
        closed_at=timezone.now() - timezone.timedelta(days=settings.CONTACT_AFTER_CLOSE_DAYS + 1)
    )
    # ...then the details are for coordinators only.
    assert client.get(url("contact", open_request.reference)).status_code == 302
    signed_in(client, point_person)
    assert client.get(url("contact", open_request.reference)).status_code == 302


def test_a_withdrawn_request_shows_nobody_its_contact_details_but_coordinators(
    client, volunteer, coordinator, open_request
):
    open_request.claim(volunteer)
    open_request.withdraw()
    assert (
        signed_in(client, volunteer).get(url("contact", open_request.reference)).status_code == 302
    )
    assert (
        signed_in(client, coordinator).get(url("contact", open_request.reference)).status_code
        == 200
    )


def test_a_contact_attempt_with_bad_text_is_explained_and_kept(client, volunteer, open_request):
    open_request.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("attempt", open_request.reference), {"text": "Called\x07" + "x" * 600}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "invalid-feedback" in html
    assert "Called" in html  # what they typed comes back
    assert not open_request.events.filter(kind=EventKind.CONTACT_ATTEMPT).exists()


def test_helpers_are_asked_to_tell_only_the_outcomes_they_can_still_reach(
    client, volunteer, point_person, coordinator, pod, settings
):
    def closed(days_ago, *, claimer=None, shared=True):
        neighbor = make_neighbor(email="", share_with_point_people=shared)
        aid_request = make_request(pod=pod, neighbor=neighbor)
        if claimer:
            aid_request.claim(claimer)
        aid_request.close(RequestStatus.FULFILLED, by=coordinator.user)
        Request.objects.filter(pk=aid_request.pk).update(
            closed_at=timezone.now() - timezone.timedelta(days=days_ago)
        )
        return aid_request

    mine = closed(1, claimer=volunteer, shared=False)
    shared = closed(2)
    not_shared = closed(2, shared=False)
    too_old = closed(settings.CONTACT_AFTER_CLOSE_DAYS + 1, claimer=volunteer)
    everyone = {mine, shared, not_shared, too_old}

    def listed(person):
        html = signed_in(client, person).get(url("my_work")).content.decode()
        return {aid_request for aid_request in everyone if aid_request.reference in html}

    assert listed(volunteer) == {mine}
    assert listed(point_person) == {shared}
    # What is listed can be told: the contact details open for them.
    assert client.get(url("contact", shared.reference)).status_code == 200
    assert client.get(url("contact", not_shared.reference)).status_code == 302
    # The rest are not forgotten: the coordinators' list has every one.
    assert listed(coordinator) == everyone


def test_coordinators_see_every_outcome_still_to_tell(client, coordinator, volunteer, pod):
    aid_request = make_request(pod=pod, neighbor=make_neighbor(email=""))
    aid_request.claim(volunteer)
    aid_request.close(RequestStatus.FULFILLED, by=volunteer.user)
    html = signed_in(client, coordinator).get(url("my_work")).content.decode()
    assert aid_request.reference in html
    detail = client.get(url("request", aid_request.reference)).content.decode()
    assert url("told", aid_request.reference) in detail


def test_an_outcome_is_told_once_per_close_and_a_new_one_must_be_told_again(
    client, volunteer, point_person, pod
):
    aid_request = make_request(pod=pod, neighbor=make_neighbor(email=""))
    aid_request.claim(volunteer)
    aid_request.close(RequestStatus.FULFILLED, by=volunteer.user)
    signed_in(client, volunteer)
    told_url = url("told", aid_request.reference)

    client.post(told_url)
    client.post(told_url)  # a second press, or an old page

    assert aid_request.events.filter(kind=EventKind.TOLD_NEIGHBOR).count() == 1
    assert told_url not in client.get(url("request", aid_request.reference)).content.decode()
    assert aid_request.reference not in client.get(url("my_work")).content.decode()

    # Reopened and closed again: a new outcome the neighbor has not heard.
    aid_request.reopen(by=point_person.user, reason="She needs more")
    aid_request.claim(volunteer)
    aid_request.close(RequestStatus.COULD_NOT_HELP, by=volunteer.user, note="No drivers")

    assert aid_request.reference in client.get(url("my_work")).content.decode()
    assert told_url in client.get(url("request", aid_request.reference)).content.decode()
    client.post(told_url)
    assert aid_request.events.filter(kind=EventKind.TOLD_NEIGHBOR).count() == 2


def test_a_request_closed_as_withdrawn_asks_nobody_to_phone_the_neighbor(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("close", open_request.reference), {"outcome": RequestStatus.WITHDRAWN}, follow=True
    )
    html = response.content.decode()
    assert "there is nothing to tell them" in html
    assert "has no email" not in html


def test_the_status_link_read_out_by_phone_opens_in_the_neighbors_language(client, volunteer):
    data = ask_data(channel="phone", phone="617 555 0177", language="ht", started="", homepage="")
    response = signed_in(client, volunteer).post(url("take_request"), data)
    taken = Request.objects.latest("pk")
    page = client.get(response["Location"]).content.decode()
    assert f"/ht/status/{taken.status_token}/" in page
    assert f"/en/status/{taken.status_token}/" not in page


def test_a_refused_translation_of_a_message_shows_its_error_under_that_message_only(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    first = open_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Hola")
    open_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Gracias")
    response = signed_in(client, volunteer).post(
        url("translate", open_request.reference),
        {"language": "en", "text": "   ", "event": first.pk},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("invalid-feedback") == 1
    assert html.index("Hola") < html.index("invalid-feedback") < html.index("Gracias")


def test_only_an_outcome_someone_can_tell_asks_for_a_phone_call(
    client, volunteer, point_person, open_request, pod
):
    # A duplicate: the other request is the one the neighbor hears about.
    phone_only = make_request(pod=pod, neighbor=make_neighbor(email=""))
    phone_only.claim(volunteer)
    response = signed_in(client, volunteer).post(
        url("close", phone_only.reference),
        {"outcome": RequestStatus.DUPLICATE, "duplicate_of": open_request.reference},
        follow=True,
    )
    html = response.content.decode()
    assert "has no email" not in html
    assert url("told", phone_only.reference) not in html
    assert client.post(url("told", phone_only.reference)).status_code == 302
    assert not phone_only.events.filter(kind=EventKind.TOLD_NEIGHBOR).exists()

    # A point person the neighbor did not agree to: they cannot reach them, so they are
    # not asked to call, and cannot press it.
    private = make_request(pod=pod, neighbor=make_neighbor(email="", share_with_point_people=False))
    private.triage(by=point_person.user, pod=pod, urgency=2)
    private.claim(volunteer)
    signed_in(client, point_person)
    html = client.post(
        url("close", private.reference), {"outcome": RequestStatus.FULFILLED}, follow=True
    ).content.decode()
    assert "has no email" not in html
    assert (
        url("told", private.reference)
        not in client.get(url("request", private.reference)).content.decode()
    )
    client.post(url("told", private.reference))
    assert not private.events.filter(kind=EventKind.TOLD_NEIGHBOR).exists()


def test_a_translation_refused_for_a_note_shows_its_error_under_the_details(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    note = open_request.record(EventKind.NOTE, by=volunteer.user, text="Called twice")
    response = signed_in(client, volunteer).post(
        url("translate", open_request.reference), {"language": "en", "text": "", "event": note.pk}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("invalid-feedback") == 1
    assert html.index("invalid-feedback") < html.index("Called twice")


def test_nothing_a_volunteer_pastes_is_cut_off_by_the_request_page(client, volunteer, open_request):
    open_request.claim(volunteer)
    page = signed_in(client, volunteer).get(url("request", open_request.reference))
    assert "maxlength" not in page.content.decode()


def test_the_model_itself_refuses_to_record_an_outcome_nobody_has_to_tell(volunteer, pod):
    """The view checks first; the request's own method holds the rule too, under its lock,
    for a page drawn before the request was withdrawn or the neighbor gave an email."""
    withdrawn = make_request(pod=pod, neighbor=make_neighbor(email=""))
    withdrawn.withdraw()
    emailed = make_request(pod=pod, neighbor=make_neighbor(email="rosa@example.org"))
    emailed.claim(volunteer)
    emailed.close(RequestStatus.FULFILLED, by=volunteer.user)

    for aid_request in (withdrawn, emailed):
        with pytest.raises(InvalidTransition):
            aid_request.tell_outcome(by=volunteer.user)
        assert not aid_request.events.filter(kind=EventKind.TOLD_NEIGHBOR).exists()


def test_a_message_from_a_page_drawn_before_the_request_closed_is_given_back_to_copy(
    client, volunteer, open_request
):
    open_request.claim(volunteer)
    signed_in(client, volunteer)
    open_request.close(RequestStatus.DONE_BY_OTHERS, by=None)  # in another tab

    response = client.post(
        url("message", open_request.reference),
        {"text": "I can bring it on Tuesday <3"},
        follow=True,
    )

    html = response.content.decode()
    assert "so nothing was saved" in html
    assert "I can bring it on Tuesday &lt;3" in html
    assert not open_request.events.filter(kind=EventKind.MESSAGE_TO_NEIGHBOR).exists()
