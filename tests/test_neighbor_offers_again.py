"""Lee offered rides. Now he can also cook: from his offer's private page he says what,
when and where, and nothing else; it goes with his other offers."""

import pytest
from django.test import Client

from requests_app.models import Neighbor, Offer, OfferStatus
from requests_app.services import merge_neighbors, offer_again
from tests.factories import (
    form_started,
    make_category,
    make_neighbor,
    make_pod,
    make_user,
    make_volunteer,
)
from tests.test_neighbor_asks import gettext_in
from tests.test_neighbor_offers_and_volunteers import offer_data
from tests.test_neighbor_offers_and_volunteers import url as named_url

pytestmark = pytest.mark.django_db


def url(name, language="en", *args):
    return named_url(f"requests_app:{name}", language, *args)


@pytest.fixture
def rides():
    return make_category("transportation", name="Rides", applies_to="both")


@pytest.fixture
def meals():
    return make_category("meals", name="Meals", applies_to="offers")


def offers(client, category, language="en", **data):
    """Lee's first offer, from the offer form."""
    client.post(url("offer", language), offer_data(offers=[category.pk], language=language, **data))
    return Offer.objects.order_by("-pk").first()


def offers_again(client, token, categories, language="en", *, follow=False, **data):
    return client.post(
        url("offer_something_else", language, token),
        {
            "offers": [category.pk for category in categories],
            "details": "",
            "availability": "",
            "area": "",
            "languages": [language],
            "until": "",
            "homepage": "",
            "started": form_started(),
            **data,
        },
        follow=follow,
    )


@pytest.mark.parametrize("language", ["en", "zh-hans", "ar"])
def test_lee_offers_meals_from_his_offer_page_without_typing_his_details_again(
    client, rides, meals, language
):
    first = offers(client, rides, language)
    manage_url = url("offer_manage", language, first.token)
    assert (
        url("offer_something_else", language, first.token)
        in client.get(manage_url).content.decode()
    )
    form_page = client.get(url("offer_something_else", language, first.token))
    html = form_page.content.decode()
    assert form_page["Cache-Control"] == "private, no-store"
    assert gettext_in(language, "Offer something else") in html
    for contact_field in ("phone", "email", "name"):
        assert f'name="{contact_field}"' not in html

    response = offers_again(
        client,
        first.token,
        [meals],
        language,
        details="Soup for four, on Sundays.",
        availability="Sundays",
        area="Moody St",
        serves_many="on",
        follow=True,
    )

    cooking = Offer.objects.get(category=meals)
    assert response.redirect_chain[-1][0] == manage_url
    assert cooking.neighbor == first.neighbor
    assert Neighbor.objects.count() == 1
    assert cooking.token == first.token
    assert (cooking.details, cooking.availability, cooking.area, cooking.serves_many) == (
        "Soup for four, on Sundays.",
        "Sundays",
        "Moody St",
        True,
    )
    assert cooking.languages == [language]
    assert cooking.status == OfferStatus.AVAILABLE
    html = response.content.decode()
    assert first.reference in html
    assert cooking.reference in html


def test_the_new_offer_keeps_the_pod_of_the_last_one(client, rides, meals):
    """Lee said his pod was Moody Street; a coordinator later put his rides offer in
    Prospect Hill, where he drives: his new offer goes there too."""
    moody, prospect_hill = make_pod("Moody Street"), make_pod("Prospect Hill")
    first = offers(client, rides, pod=str(moody.pk))
    Offer.objects.filter(pk=first.pk).update(pod=prospect_hill)

    offers_again(client, first.token, [meals])

    assert Offer.objects.get(category=meals).pod == prospect_hill
    assert first.neighbor.pod == moody


def test_a_day_gone_by_is_explained_in_spanish_and_the_text_stays(client, rides, meals):
    first = offers(client, rides, "es")

    response = offers_again(
        client, first.token, [meals], "es", until="2020-01-01", details="Sopa los domingos"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        gettext_in("es", "This day has passed. Choose today or a later day, or leave it empty.")
        in html
    )
    assert "Sopa los domingos" in html
    assert Offer.objects.count() == 1


def test_a_link_whose_details_were_deleted_sends_lee_to_the_full_form(client, rides, meals):
    first = offers(client, rides, "ht")
    client.post(url("erase_offer_contact", "ht", first.token))

    manage_page = client.get(url("offer_manage", "ht", first.token)).content.decode()
    assert url("offer_something_else", "ht", first.token) in manage_page
    erased = gettext_in(
        "ht",
        "Your contact details were deleted, so we would have no way to reach you. To offer again, please leave a phone number or an email here.",
    )
    opened = client.get(url("offer_something_else", "ht", first.token), follow=True)
    assert opened.redirect_chain[-1][0] == url("offer", "ht")
    assert erased in opened.content.decode()

    sent = offers_again(client, first.token, [meals], "ht")
    assert sent.status_code == 409
    assert erased in sent.content.decode()
    assert f'action="{url("offer", "ht")}"' in sent.content.decode()
    assert sent.context["form"]["offers"].value() == [str(meals.pk)]
    assert Offer.objects.count() == 1


def test_a_volunteers_offer_link_offers_nothing_more_here(client, rides, meals):
    """A volunteer offers from the workspace; their offer's page has no neighbor behind it."""
    offer = Offer.objects.create(category=rides, volunteer=make_volunteer("Ben"))
    assert (
        "offer_something_else"
        not in client.get(url("offer_manage", "en", offer.token)).content.decode()
    )
    assert client.get(url("offer_something_else", "en", offer.token)).status_code == 404
    assert offers_again(client, offer.token, [meals]).status_code == 404
    assert client.get(url("offer_something_else", "en", "0" * 43)).status_code == 404
    # Nor is there anything to delete: never "your details are deleted" for nothing.
    assert client.get(url("erase_offer_contact", "en", offer.token)).status_code == 404
    assert client.post(url("erase_offer_contact", "en", offer.token)).status_code == 404
    offer.refresh_from_db()
    assert offer.status == "available"


def test_offering_again_counts_against_the_same_limit_as_the_offer_form(client, rides, meals):
    library = Client(REMOTE_ADDR="203.0.113.9")
    first = offers(library, rides)
    for _ in range(4):
        assert offers_again(library, first.token, [meals]).status_code == 302

    response = offers_again(library, first.token, [meals], details="Sopa")

    assert response.status_code == 429
    assert "Sopa" in response.content.decode()
    assert Offer.objects.count() == 5


def test_after_a_coordinator_joined_lees_records_he_offers_on_the_one_kept(rides, meals):
    first = Offer.objects.create(category=rides, neighbor=make_neighbor(name="Lee"))
    kept = make_neighbor(name="Lee K.", phone="", email="lee@example.org")
    merge_neighbors(kept, [first.neighbor], by=make_user("maria", is_staff=True))

    (cooking,) = offer_again(first.token, offers=[meals], details="Soup")

    assert cooking.neighbor == kept
    assert cooking.token == first.token
