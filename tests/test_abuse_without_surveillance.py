"""Robots are turned away without CAPTCHAs, third parties or storing anyone's address."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from requests_app.antispam import take_token
from requests_app.models import Neighbor, RateLimitBucket, Request
from tests.factories import ask_data, form_started

pytestmark = pytest.mark.django_db


def ask_url(language="en"):
    with translation.override(language):
        return reverse("requests_app:ask")


def gettext_in(language, text):
    with translation.override(language):
        return translation.gettext(text)


def test_a_robot_that_fills_the_honeypot_is_refused_and_the_text_is_kept(client):
    response = client.post(ask_url(), ask_data(homepage="http://spam.example", details="Buy now"))
    assert response.status_code == 200
    assert not Request.objects.exists()
    assert "Buy now" in response.content.decode()


def test_a_post_faster_than_a_person_types_is_sent_back_with_the_text(client):
    response = client.post(
        ask_url("es"), ask_data(started=form_started(seconds_ago=0.5), details="Leche")
    )
    html = response.content.decode()
    assert (
        gettext_in(
            "es",
            "That was faster than a person can type. Please check what you wrote and send it again.",
        )
        in html
    )
    assert "Leche" in html
    assert not Request.objects.exists()


@pytest.mark.parametrize("started", ["", "forged-value", form_started(seconds_ago=2 * 24 * 3600)])
def test_a_form_a_day_old_or_forged_is_sent_back_with_the_text(client, started):
    response = client.post(ask_url(), ask_data(started=started, details="Diapers"))
    assert "Diapers" in response.content.decode()
    assert not Request.objects.exists()


def test_a_form_sent_back_can_be_sent_again_at_once(client):
    """The page sent back carries a fresh start time, so a person fixing a mistake is
    never told they were too slow."""
    response = client.post(ask_url(), ask_data(phone="", email="", started=form_started(20 * 3600)))
    html = response.content.decode()
    fresh = html.split('name="started" value="')[1].split('"')[0]
    assert fresh != form_started(20 * 3600)
    response = client.post(
        ask_url(), ask_data(started=fresh, details="again"), REMOTE_ADDR="1.2.3.4"
    )
    assert response.status_code == 200  # sent at once: faster than a person types
    assert client.post(ask_url(), ask_data()).status_code == 302


def test_the_sixth_ask_in_ten_minutes_gets_429_with_the_form_and_text_back():
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        assert client.post(ask_url(), ask_data()).status_code == 302

    response = client.post(ask_url("ar"), ask_data(details="أحتاج حليبًا", language="ar"))

    assert response.status_code == 429
    html = response.content.decode()
    assert "أحتاج حليبًا" in html
    assert 'dir="rtl"' in html
    assert Request.objects.count() == 5
    # Another address (a neighbor at the library next door) is not affected.
    assert Client(REMOTE_ADDR="203.0.113.10").post(ask_url(), ask_data()).status_code == 302


def test_no_raw_address_is_stored():
    Client(REMOTE_ADDR="198.51.100.77").post(ask_url(), ask_data())
    keys = list(RateLimitBucket.objects.values_list("key", flat=True))
    assert keys
    assert all("198.51.100.77" not in key for key in keys)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM requests_app_ratelimitbucket")
        assert "198.51.100" not in str(cursor.fetchall())


def test_a_bucket_refills_with_time():
    now = 1_000_000.0
    assert all(take_token("k", capacity=2, per_seconds=60, now=now) for _ in range(2))
    assert not take_token("k", capacity=2, per_seconds=60, now=now)
    assert take_token("k", capacity=2, per_seconds=60, now=now + 30)
    assert not take_token("k", capacity=2, per_seconds=60, now=now + 31)


def test_a_form_with_errors_does_not_use_up_the_limit():
    client = Client(REMOTE_ADDR="203.0.113.20")
    for _ in range(10):
        client.post(ask_url(), ask_data(phone="", email=""))
    assert client.post(ask_url(), ask_data()).status_code == 302


def test_a_csrf_failure_explains_what_to_do_in_the_neighbors_language():
    client = Client(enforce_csrf_checks=True)
    response = client.post(ask_url("pt-br"), ask_data())
    assert response.status_code == 403
    html = response.content.decode()
    assert 'lang="pt-br"' in html
    assert gettext_in("pt-br", "Please send the form again") in html
    assert not Neighbor.objects.exists()


def test_a_rate_limited_volunteer_sign_up_comes_back_with_what_was_typed():
    from volunteers.models import Volunteer

    client = Client(REMOTE_ADDR="203.0.113.30")
    data = {
        "name": "Dani",
        "email": "dani@example.org",
        "languages": ["es"],
        "agree": "on",
        "homepage": "",
        "started": form_started(),
    }
    with translation.override("es"):
        sign_up = reverse("volunteers:sign_up")
    for _ in range(5):
        client.post(sign_up, data)
    response = client.post(sign_up, data | {"availability": "Los sábados"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Los sábados" in html
    message = gettext_in(
        "es",
        "Many forms were sent from this connection in a short time. Please wait a few minutes and send it again, or call us.",
    )
    assert message in html
    assert Volunteer.objects.count() == 1
