"""Neighbors offer what they can; new volunteers sign up and wait for a coordinator."""

import pytest
from django.urls import reverse
from django.utils import translation

from requests_app.models import InvalidTransition, Neighbor, Offer, OfferStatus
from tests.factories import (
    form_started,
    make_category,
    make_pod,
    make_resource,
    make_volunteer,
)
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def url(name, language="en", *args):
    with translation.override(language):
        return reverse(name, args=args)


@pytest.fixture
def rides():
    return make_category("transportation", name="Rides", applies_to="both")


def offer_data(**overrides):
    data = {
        "offers": [],
        "details": "I have a car.",
        "availability": "Saturday mornings",
        "area": "South Side",
        "languages": ["en", "pt-br"],
        "until": "",
        "name": "Lee",
        "phone": "",
        "email": "lee@example.org",
        "preferred_contact": "email",
        "language": "en",
        "pod": "",
        "homepage": "",
        "started": form_started(),
    }
    return data | overrides


def test_neighbor_offers_rides_then_pauses_and_ends_the_offer(client, rides):
    response = client.post(url("requests_app:offer"), offer_data(offers=[rides.pk]))

    offer = Offer.objects.get()
    assert (offer.category, offer.languages, offer.status) == (rides, ["en", "pt-br"], "available")
    assert offer.neighbor.email == "lee@example.org"
    manage_url = response["Location"]
    assert offer.reference in client.get(manage_url).content.decode()

    client.post(manage_url, {"reference": offer.reference, "action": "pause"})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PAUSED
    # Ending cannot be taken back: it asks once to be sure.
    end_url = url("requests_app:end_offer", "en", offer.token, offer.reference)
    assert end_url in client.get(manage_url).content.decode()
    assert client.get(end_url).status_code == 200
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PAUSED
    client.post(end_url)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FINISHED
    response = client.post(manage_url, {"reference": offer.reference, "action": "resume"})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FINISHED
    assert response.status_code == 302


def test_a_pause_from_a_page_drawn_before_the_offer_ended_does_not_bring_it_back(client, rides):
    client.post(url("requests_app:offer"), offer_data(offers=[rides.pk]))
    offer = Offer.objects.get()
    drawn_before = Offer.objects.get(pk=offer.pk)  # another tab, still "available"
    offer.move_to(OfferStatus.FINISHED)

    with pytest.raises(InvalidTransition):
        drawn_before.move_to(OfferStatus.PAUSED)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.FINISHED
    assert offer.ended_at is not None


def test_a_need_only_category_cannot_be_offered(client, rides):
    needs_only = make_category("needs-only", applies_to="needs")
    response = client.post(url("requests_app:offer"), offer_data(offers=[needs_only.pk]))
    assert response.status_code == 200
    assert not Offer.objects.exists()
    assert not Neighbor.objects.exists()


def test_an_offer_page_link_cannot_act_on_another_offer(client, rides):
    client.post(url("requests_app:offer"), offer_data(offers=[rides.pk]))
    client.post(url("requests_app:offer"), offer_data(offers=[rides.pk], email="kim@example.org"))
    mine, theirs = Offer.objects.order_by("pk")
    response = client.post(
        url("requests_app:offer_manage", "en", mine.token),
        {"reference": theirs.reference, "action": "pause"},
    )
    assert response.status_code == 404
    response = client.post(url("requests_app:end_offer", "en", mine.token, theirs.reference))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OfferStatus.AVAILABLE


def test_an_old_end_button_no_longer_ends_an_offer_at_one_tap(client, rides):
    response = client.post(url("requests_app:offer"), offer_data(offers=[rides.pk]))
    offer = Offer.objects.get()
    assert (
        client.post(response["Location"], {"reference": offer.reference, "action": "end"})
    ).status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.AVAILABLE


def test_an_offer_until_a_day_gone_by_is_sent_back_in_the_neighbors_language(client, rides):
    response = client.post(
        url("requests_app:offer", "es"),
        offer_data(offers=[rides.pk], until="2020-01-01", details="Tengo coche", language="es"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    with translation.override("es"):
        error = translation.gettext(
            "This day has passed. Choose today or a later day, or leave it empty."
        )
    assert error in html
    assert "Tengo coche" in html
    assert not Offer.objects.exists()
    assert not Neighbor.objects.exists()


def test_someone_who_offered_deletes_their_contact_details_from_the_offer_page(client, rides):
    response = client.post(
        url("requests_app:offer"), offer_data(offers=[rides.pk], phone="617 555 0190")
    )
    offer = Offer.objects.get()
    manage_url = response["Location"]
    erase_url = url("requests_app:erase_offer_contact", "en", offer.token)
    assert erase_url in client.get(manage_url).content.decode()
    assert manage_url in client.get(erase_url).content.decode()  # "Go back"

    client.post(erase_url)

    offer.refresh_from_db()
    neighbor = offer.neighbor
    assert (neighbor.name, neighbor.phone, neighbor.email) == ("", "", "")
    assert neighbor.contact_erased_at is not None
    # Nobody could reach them about it: the offer ends, and what it said goes too.
    assert offer.status == OfferStatus.FINISHED
    assert (offer.details, offer.availability, offer.area) == ("", "", "")
    page = client.get(manage_url).content.decode()
    assert erase_url not in page
    assert "Nobody can see how to reach you." in page


def sign_up_data(**overrides):
    data = {
        "name": "Dani",
        "email": "Dani@Example.org",
        "phone": "",
        "languages": ["es", "en"],
        "pods": [],
        "categories": [],
        "availability": "Evenings",
        "agree": "on",
        "homepage": "",
        "started": form_started(),
    }
    return data | overrides


def test_a_new_volunteer_signs_up_and_gets_no_access_until_approved(client, rides):
    pod = make_pod("South Side", slug="south-side")

    response = client.post(
        url("volunteers:sign_up", "es"), sign_up_data(pods=[pod.pk], categories=[rides.pk])
    )

    volunteer = Volunteer.objects.get()
    assert volunteer.user is None
    assert volunteer.approved_at is None
    assert volunteer.agreed_to_privacy_at is not None
    assert volunteer.language == "es"
    assert volunteer.email == "dani@example.org"
    assert list(volunteer.pods.all()) == [pod]
    assert response["Location"] == url("volunteers:signed_up", "es")


def test_signing_up_twice_updates_the_pending_sign_up(client):
    client.post(url("volunteers:sign_up"), sign_up_data())
    client.post(
        url("volunteers:sign_up"), sign_up_data(availability="Weekends", email="dani@example.org")
    )
    assert Volunteer.objects.get().availability == "Weekends"


def test_a_volunteer_must_make_the_privacy_promise(client):
    response = client.post(url("volunteers:sign_up"), sign_up_data(agree=""))
    assert response.status_code == 200
    assert "Dani" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_the_resource_directory_is_filtered_by_need(client, rides):
    food = make_category("groceries", name="Groceries")
    make_resource("Community fridge", categories=[food])
    make_resource("Ride line", categories=[rides])

    html = client.get(url("requests_app:resources") + "?need=groceries").content.decode()

    assert "Community fridge" in html
    assert "Ride line" not in html


@pytest.mark.parametrize("how_many", [2, 40])
def test_the_resource_directory_runs_the_same_queries_for_2_or_40_resources(
    client, rides, how_many, django_assert_max_num_queries
):
    for n in range(how_many):
        make_resource(f"Resource {n}", categories=[rides])
    with django_assert_max_num_queries(4):
        response = client.get(url("requests_app:resources"))
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999", "%00", "+"])
def test_garbage_page_numbers_never_crash_the_directory(client, page):
    assert client.get(url("requests_app:resources"), {"page": page}).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "requests_app:home",
        "requests_app:ask",
        "requests_app:offer",
        "volunteers:sign_up",
        "requests_app:privacy",
    ],
)
@pytest.mark.parametrize("language", ["en", "es", "pt-br", "ht", "zh-hans", "ar"])
def test_every_public_page_renders_in_every_language(client, rides, name, language):
    response = client.get(url(name, language))
    assert response.status_code == 200
    assert f'lang="{language}"' in response.content.decode()


def test_a_volunteers_own_offer_still_opens_its_page(client, rides):
    """An offer a volunteer gives has no neighbor record behind it."""
    offer = Offer.objects.create(category=rides, volunteer=make_volunteer("Ben"))
    response = client.get(url("requests_app:offer_manage", "en", offer.token))
    assert response.status_code == 200
    assert offer.reference in response.content.decode()
    assert "Delete my contact details" not in response.content.decode()
