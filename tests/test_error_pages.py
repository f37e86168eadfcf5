"""When something goes wrong outside a page's own care, the person still gets a page in
their language that says what to do, with the network's phone number."""

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.factories import ask_data, make_category, make_request, make_volunteer, sign_in
from waltham_aid.errors import server_error

pytestmark = pytest.mark.django_db


def gettext_in(language, text):
    with translation.override(language):
        return translation.gettext(text)


def test_a_paste_too_big_to_read_gets_a_page_in_spanish_with_our_phone(client, settings):
    make_category("groceries", applies_to="needs")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    with translation.override("es"):
        ask = reverse("requests_app:ask")

    response = client.post(ask, ask_data(details="arroz " * 5_000))

    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="es"' in html
    assert gettext_in("es", "We could not read what was sent") in html
    assert f'href="tel:{settings.NETWORK_PHONE}"' in html


def test_an_action_opened_as_a_link_says_what_to_do_instead_of_an_empty_page(client, pod):
    volunteer = make_volunteer("Ana", pods=[pod])
    sign_in(client, volunteer.user)
    with translation.override("ar"):
        claim = reverse("volunteers:claim", args=[make_request(pod=pod).reference])

    response = client.get(claim)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert gettext_in("ar", "This address is for sending a form") in html


def test_the_server_error_page_gives_the_phone_in_the_readers_language(settings):
    with translation.override("ht"):
        html = server_error(RequestFactory().get("/ht/")).content.decode()
    assert gettext_in("ht", "Something went wrong on our side") in html
    assert f'href="tel:{settings.NETWORK_PHONE}"' in html
    assert '<html lang="ht"' in html
