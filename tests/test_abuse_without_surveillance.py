"""Robots are turned away without CAPTCHAs, third parties or storing anyone's address."""

import importlib
import os
import time
from io import StringIO

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from requests_app.antispam import forget_full_buckets, take_token
from requests_app.models import EventKind, Neighbor, RateLimitBucket, Request
from tests.factories import ask_data, form_started, make_request

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


def sent_back_start(response):
    return response.content.decode().split('name="started" value="')[1].split('"')[0]


def test_a_quick_fix_to_a_form_sent_back_is_not_taken_for_a_robot(client):
    """The page sent back keeps the start time it came with: it counts how long this
    person has been on the form, so ticking the need they forgot and sending at once
    goes through."""
    opened = form_started(seconds_ago=40)
    response = client.post(ask_url("es"), ask_data(needs=[], started=opened))
    assert response.status_code == 200
    assert sent_back_start(response) == opened

    assert (
        client.post(ask_url("es"), ask_data(started=sent_back_start(response))).status_code == 302
    )


def test_a_form_sent_back_near_its_time_limit_gets_a_new_start_time(client):
    nearly_stale = form_started(seconds_ago=23.5 * 3600)
    response = client.post(ask_url(), ask_data(phone="", email="", started=nearly_stale))
    again = sent_back_start(response)
    assert again != nearly_stale
    assert client.post(ask_url(), ask_data(started=again)).status_code == 302


def test_a_forged_start_time_is_not_kept_and_the_next_one_counts_from_now(client):
    response = client.post(ask_url(), ask_data(started="forged-value"))
    again = sent_back_start(response)
    assert again != "forged-value"
    # Sent at once with the new one: faster than a person types.
    assert client.post(ask_url(), ask_data(started=again)).status_code == 200
    assert not Request.objects.exists()


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


def send_message(client, aid_request, text, language="en"):
    with translation.override(language):
        url = reverse(
            "requests_app:send_message", args=[aid_request.status_token, aid_request.reference]
        )
    return client.post(url, {"text": text, "started": form_started(), "homepage": ""})


def test_a_status_page_that_sends_too_many_messages_waits_and_keeps_the_text(settings):
    settings.NEIGHBOR_MESSAGE_RATE_LIMITS = [(3, 600)]
    aid_request = make_request()
    neighbor_at_home = Client(REMOTE_ADDR="203.0.113.40")
    for number in range(3):
        assert send_message(neighbor_at_home, aid_request, f"Message {number}").status_code == 302

    # From another connection too: the limit is the private link's, not the address's.
    response = send_message(
        Client(REMOTE_ADDR="203.0.113.41"), aid_request, "ما زلت أحتاج الحليب", "ar"
    )

    assert response.status_code == 429
    html = response.content.decode()
    assert "ما زلت أحتاج الحليب" in html
    assert 'dir="rtl"' in html
    assert (
        gettext_in(
            "ar",
            "Many messages were sent from this page in a short time. Please wait a few minutes and send it again, or call us.",
        )
        in html
    )
    assert aid_request.events.filter(kind=EventKind.MESSAGE_FROM_NEIGHBOR).count() == 3


def test_another_neighbor_on_the_same_connection_can_still_send_messages(settings):
    settings.NEIGHBOR_MESSAGE_RATE_LIMITS = [(1, 600)]
    library_computer = Client(REMOTE_ADDR="203.0.113.50")
    first, second = make_request(), make_request()
    assert send_message(library_computer, first, "Thank you").status_code == 302
    assert send_message(library_computer, first, "Thanks again").status_code == 429

    assert send_message(library_computer, second, "Hello").status_code == 302


def test_no_status_link_is_stored_in_a_counter(settings):
    aid_request = make_request()
    send_message(Client(), aid_request, "Hello")
    keys = list(RateLimitBucket.objects.values_list("key", flat=True))
    assert keys
    assert all(aid_request.status_token not in key for key in keys)


def test_counters_quiet_for_longer_than_the_longest_limit_are_forgotten(settings):
    settings.PUBLIC_FORM_RATE_LIMITS = [(5, 600), (30, 24 * 3600)]
    day = 24 * 3600
    now = 2_000_000_000.0
    take_token("quiet for a day and a minute", capacity=5, per_seconds=600, now=now - day - 60)
    take_token("quiet for an hour", capacity=30, per_seconds=day, now=now - 3600)

    assert forget_full_buckets(now=now) == 1

    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == ["quiet for an hour"]


def test_a_forgotten_counter_is_a_full_one():
    now = 2_000_000_000.0
    for _ in range(5):
        take_token("k", capacity=5, per_seconds=600, now=now)
    assert not take_token("k", capacity=5, per_seconds=600, now=now)

    forget_full_buckets(now=now + 2 * 24 * 3600)

    later = now + 2 * 24 * 3600
    assert all(take_token("k", capacity=5, per_seconds=600, now=later) for _ in range(5))
    assert not take_token("k", capacity=5, per_seconds=600, now=later)


def test_the_follow_up_run_forgets_quiet_counters_and_ended_sessions():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    ended = SessionStore()
    ended.set_expiry(-60)
    ended.create()
    current = SessionStore()
    current.create()
    take_token("old", capacity=5, per_seconds=600, now=time.time() - 3 * 24 * 3600)
    take_token("fresh", capacity=5, per_seconds=600)
    output = StringIO()

    call_command("run_followups", stdout=output)

    assert list(Session.objects.values_list("session_key", flat=True)) == [current.session_key]
    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == ["fresh"]
    assert "Rate-limit counters forgotten: 1" in output.getvalue()


def test_forgetting_waits_for_every_limit_the_settings_hold(settings):
    settings_module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    """A new limit (a *_RATE_LIMITS or *_FAILURES_* setting) longer than the others must be
    waited for before its counters are forgotten."""
    from requests_app.antispam import longest_window

    limits = []
    for name in filter(str.isupper, dir(settings_module)):
        value = getattr(settings, name)
        if name.endswith("_RATE_LIMITS"):
            limits += value
        elif "_FAILURES_" in name:
            limits.append(value)
    assert len(limits) >= 6
    assert longest_window() >= max(per_seconds for _n, per_seconds in limits)

    settings.NEIGHBOR_MESSAGE_RATE_LIMITS = [(100, 7 * 24 * 3600)]
    assert longest_window() == 7 * 24 * 3600


def test_a_short_time_limit_still_keeps_a_quick_fix_honest(client, settings):
    settings.FORM_MAX_SECONDS = 1800
    opened = form_started(seconds_ago=40)
    response = client.post(ask_url(), ask_data(needs=[], started=opened))
    assert sent_back_start(response) == opened
