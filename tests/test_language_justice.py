"""Free text across languages: the original stays, volunteers add translations, and
requests nobody nearby can read are found by those who can."""

import pytest
from django.urls import reverse
from django.utils import translation

from requests_app.models import EventKind, Translation
from tests.factories import (
    make_neighbor,
    make_pod,
    make_request,
    make_resource,
    make_volunteer,
    sign_in,
)

pytestmark = pytest.mark.django_db


def queue(client, volunteer, **query):
    sign_in(client, volunteer.user)
    return client.get(reverse("volunteers:queue"), query).content.decode()


def test_a_kreyol_request_nobody_in_its_pod_reads_is_found_translated_and_read(client):
    hill = make_pod("Prospect Hill")
    side = make_pod("South Side")
    ben = make_volunteer("Ben", pods=[hill], languages=["en"])
    marie = make_volunteer("Marie", pods=[side], languages=["ht", "en"])
    details = "Mwen bezwen yon woulib pou randevou doktè mèkredi."
    aid_request = make_request(
        pod=hill, language="ht", details=details, neighbor=make_neighbor(language="ht")
    )
    english = make_request(pod=hill, language="en", details="Dog walking")

    page = queue(client, ben)

    def card(reference):
        # The reference is in the card's link and its heading; the marks follow.
        return page.split(reference)[2].split("</section>")[0]

    assert "Needs an interpreter" in card(aid_request.reference)
    assert "Needs an interpreter" not in card(english.reference)

    found = queue(client, marie, needs_interpreter="on")
    assert aid_request.reference in found
    assert english.reference not in found
    client.post(
        reverse("volunteers:translate", args=[aid_request.reference]),
        {"language": "en", "text": "I need a ride to a doctor's appointment on Wednesday."},
    )
    saved = Translation.objects.get()
    assert (saved.translator, saved.language, saved.event) == (marie.user, "en", None)

    sign_in(client, ben.user)
    client.post(reverse("volunteers:claim", args=[aid_request.reference]))
    html = client.get(reverse("volunteers:request", args=[aid_request.reference])).content.decode()
    assert details in html
    assert "I need a ride to a doctor&#x27;s appointment on Wednesday." in html
    assert "Marie" in html
    aid_request.refresh_from_db()
    assert aid_request.details == details  # the neighbor's words, untouched


def test_messages_keep_the_original_next_to_the_translation(client, pod):
    helper = make_volunteer("Ben", pods=[pod], languages=["en", "ht"])
    aid_request = make_request(pod=pod, language="ht", neighbor=make_neighbor(language="ht"))
    aid_request.claim(helper)
    message = aid_request.record(
        EventKind.MESSAGE_TO_NEIGHBOR, by=helper.user, text="I will come at 5pm."
    )
    sign_in(client, helper.user)
    client.post(
        reverse("volunteers:translate", args=[aid_request.reference]),
        {"language": "ht", "text": "M ap vini a 5è.", "event": message.pk},
    )

    with translation.override("ht"):
        status = client.get(reverse("requests_app:status", args=[aid_request.status_token]))
    html = status.content.decode()
    assert "I will come at 5pm." in html
    assert "M ap vini a 5è." in html


def test_a_translation_cannot_be_attached_to_an_internal_note(client, pod):
    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request(pod=pod)
    note = aid_request.record(EventKind.NOTE, by=helper.user, text="Private")
    sign_in(client, helper.user)
    response = client.post(
        reverse("volunteers:translate", args=[aid_request.reference]),
        {"language": "es", "text": "Privado", "event": note.pk},
    )
    assert response.status_code == 404
    assert not Translation.objects.exists()


def test_the_queue_puts_requests_in_my_languages_first(client, pod):
    me = make_volunteer("Wen", pods=[pod], languages=["zh-hans"])
    english = make_request(pod=pod, language="en", urgency=1)
    chinese = make_request(pod=pod, language="zh-hans", urgency=3)
    page = queue(client, me)
    assert page.index(chinese.reference) < page.index(english.reference)


def test_creole_dates_read_the_creole_way(client, pod):
    aid_request = make_request(pod=pod)
    aid_request.repeat, aid_request.due_date = "", None
    helper = make_volunteer("Ben", pods=[pod])
    sign_in(client, helper.user)
    from datetime import date

    aid_request.set_repeat("weekly", first_date=date(2027, 3, 9), by=None)
    with translation.override("ht"):
        html = client.get(
            reverse("volunteers:request", args=[aid_request.reference])
        ).content.decode()
        month = translation.gettext("March")
    assert f"9 {month} 2027" in html
    assert month != "March"


def test_the_timeline_shows_what_the_app_wrote_in_the_readers_language(client, pod):
    from requests_app.models import RequestStatus

    helper = make_volunteer("Ben", pods=[pod])
    aid_request = make_request(pod=pod)
    aid_request.claim(helper)
    aid_request.close(RequestStatus.FULFILLED, by=helper.user)
    sign_in(client, helper.user)
    with translation.override("es"):
        html = client.get(
            reverse("volunteers:request", args=[aid_request.reference])
        ).content.decode()
        fulfilled = str(RequestStatus.FULFILLED.label)
    assert fulfilled != "Fulfilled"
    assert html.count(fulfilled) >= 2  # the status, and the outcome on the timeline
    assert ">Fulfilled<" not in html


def test_what_people_wrote_takes_its_own_direction_on_an_arabic_page(client, pod):
    """A Spanish message on an Arabic status page, an English description in the Arabic
    directory: each reads in its own direction, its full stop at its own end."""
    aid_request = make_request(pod=pod, language="ar", neighbor=make_neighbor(language="ar"))
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Gracias.")
    make_resource(name="Food pantry", description="Open to everyone.")

    with translation.override("ar"):
        status = client.get(reverse("requests_app:status", args=[aid_request.status_token]))
        directory = client.get(reverse("requests_app:resources"))

    assert '<span translate="no" dir="auto">Gracias.</span>' in status.content.decode()
    assert '<p translate="no" dir="auto">Open to everyone.</p>' in directory.content.decode()
