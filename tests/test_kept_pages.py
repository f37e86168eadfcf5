"""The home page and the public forms are kept in memory and served again as they are
(waltham_aid/kept_pages.py): every neighbor still gets their own CSRF token and start
time, a renamed pod shows at once, and nobody ever sees what someone else typed or a
volunteer's own page."""

import re
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.antispam import seconds_since_form_started
from requests_app.models import Request
from tests.factories import ask_data, make_category, make_pod, make_volunteer, sign_in
from volunteers.middleware import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STARTED_FIELD = re.compile(r'name="started" value="([^"]+)"')
# Kept for a minute: only a save in this process, or a setting changed, makes it read again.
KEPT_A_MINUTE = override_settings(KEPT_PAGES_RECHECK_SECONDS=60)


def url(name, language="en"):
    with translation.override(language):
        return reverse(name)


@pytest.fixture
def needs():
    return make_category("groceries", name="Groceries", applies_to="needs")


def test_every_neighbor_gets_their_own_token_and_start_time_from_a_kept_form(needs):
    pages = [Client().get(url("requests_app:ask")).content.decode() for _ in range(3)]
    tokens = [CSRF_FIELD.search(page).group(1) for page in pages]
    started = [STARTED_FIELD.search(page).group(1) for page in pages]
    assert len(set(tokens)) == 3
    assert all(0 <= seconds_since_form_started(value) < 60 for value in started)
    assert not any("per-visit-" in page for page in pages)


def test_a_neighbor_can_send_the_form_they_got_from_memory(needs):
    Client().get(url("requests_app:ask"))  # someone else's visit keeps the page
    neighbor = Client(enforce_csrf_checks=True)
    page = neighbor.get(url("requests_app:ask"))
    token = CSRF_FIELD.search(page.content.decode()).group(1)

    response = neighbor.post(url("requests_app:ask"), ask_data(csrfmiddlewaretoken=token))

    assert response.status_code == 302
    assert Request.objects.get().details == "Rice, milk and size 4 diapers."


@KEPT_A_MINUTE
def test_a_kept_page_is_served_without_a_query(client, needs, django_assert_num_queries):
    make_pod("Prospect Hill")
    client.get(url("requests_app:ask"))
    with django_assert_num_queries(0):
        again = client.get(url("requests_app:ask"))
    assert "Prospect Hill" in again.content.decode()


@KEPT_A_MINUTE
def test_a_pod_renamed_in_the_admin_shows_on_the_next_visit(client, needs):
    pod = make_pod("Prospect Hill")
    assert "Prospect Hill" in client.get(url("requests_app:ask")).content.decode()

    pod.name = "Prospect Hill and Walnut Hill"
    pod.save()
    make_category("rides", name="Rides", applies_to="needs")

    page = client.get(url("requests_app:ask")).content.decode()
    assert "Prospect Hill and Walnut Hill" in page
    assert "Rides" in page


@override_settings(KEPT_PAGES_RECHECK_SECONDS=0.05)
def test_a_change_made_by_another_process_shows_once_the_version_is_read_again(client, needs):
    pod = make_pod("Prospect Hill")
    client.get(url("requests_app:ask"))
    # A save in another app process: the row and its change time move, and no signal
    # reaches this process.
    type(pod).objects.filter(pk=pod.pk).update(name="Walnut Hill", changed_at=timezone.now())
    time.sleep(0.1)
    assert "Walnut Hill" in client.get(url("requests_app:ask")).content.decode()


def test_each_language_and_each_flyer_link_is_kept_apart(client, needs):
    hill = make_pod("Prospect Hill", slug="prospect-hill")
    for language in ("en", "es"):
        client.get(url("requests_app:ask", language))
    spanish = client.get(url("requests_app:ask", "es")).content.decode()
    english = client.get(url("requests_app:ask")).content.decode()
    assert "Necesito algo" in spanish
    assert "I need something" in english

    from_flyer = client.get(url("requests_app:ask") + "?pod=prospect-hill").content.decode()
    plain = client.get(url("requests_app:ask")).content.decode()
    assert f'value="{hill.pk}" selected' in from_flyer
    assert f'value="{hill.pk}" selected' not in plain


def test_a_signed_in_volunteer_gets_their_own_page_and_never_keeps_it(client, pod):
    anonymous = Client()
    anonymous.get(url("requests_app:home"))  # kept
    volunteer = sign_in(Client(), make_volunteer("Ana", pods=[pod]))

    theirs = volunteer.get(url("requests_app:home")).content.decode()
    after = anonymous.get(url("requests_app:home")).content.decode()

    assert "Sign out" in theirs
    assert "Sign out" not in after


def test_what_a_neighbor_typed_is_never_kept_or_shown_to_the_next(client, needs):
    client.get(url("requests_app:ask"))
    sent_back = client.post(url("requests_app:ask"), ask_data(phone="", email=""))
    assert sent_back.status_code == 200
    assert "Rice, milk and size 4 diapers." in sent_back.content.decode()

    next_neighbor = Client().get(url("requests_app:ask")).content.decode()
    assert "Rice, milk and size 4 diapers." not in next_neighbor
    assert "Rosa" not in next_neighbor


def test_a_volunteer_signed_out_for_being_idle_is_told_so_on_the_home_page(client, pod):
    Client().get(url("requests_app:home"))  # kept, without any message
    volunteer = sign_in(Client(), make_volunteer("Ana", pods=[pod]))
    session = volunteer.session
    session[SEEN_AT] = session[SIGNED_IN_AT] = time.time() - 24 * 3600
    session.save()

    page = volunteer.get(url("requests_app:home")).content.decode()

    assert "You were signed out because the page was left alone for a while." in page
    assert "Sign out" not in page


def test_a_head_request_gets_the_headers_of_the_kept_page(client, needs):
    client.get(url("requests_app:ask"))
    response = client.head(url("requests_app:ask"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "csrftoken" in response.cookies
