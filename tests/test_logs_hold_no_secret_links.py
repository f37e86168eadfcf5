"""A private link opens what it leads to for whoever holds it: a neighbor's status page,
an offer's page, a volunteer's password reset. The server's logs write the path of every
answer that went wrong; they never write a link's secret."""

import io
import logging

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import form_started, make_request
from waltham_aid.logs import hide_secret_links

pytestmark = pytest.mark.django_db


def written(caplog):
    return "\n".join(record.getMessage() for record in caplog.records)


def test_a_made_up_status_link_is_logged_as_not_found_without_its_secret(client, caplog):
    token = "made-up-but-could-have-been-real-0123456789abcdef"
    with translation.override("es"):
        url = reverse("requests_app:status", args=[token])

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(url).status_code == 404

    assert "Not Found: /es/status/(hidden)/" in written(caplog)
    assert token not in written(caplog)


def test_a_status_page_sending_too_many_messages_is_logged_without_its_link(settings, caplog):
    settings.NEIGHBOR_MESSAGE_RATE_LIMITS = [(1, 600)]
    aid_request = make_request()
    url = reverse(
        "requests_app:send_message", args=[aid_request.status_token, aid_request.reference]
    )
    data = {"text": "Hello", "started": form_started(), "homepage": ""}
    neighbor = Client()
    neighbor.post(url, data)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert neighbor.post(url, data).status_code == 429

    line = f"Too Many Requests: /en/status/(hidden)/{aid_request.reference}/message/"
    assert line in written(caplog)
    assert aid_request.status_token not in written(caplog)


@pytest.fixture
def server_log():
    """What the server's log handler writes (the console: the journal under systemd)."""
    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    lines = io.StringIO()
    original = console.setStream(lines)
    yield lines
    console.setStream(original)


def test_a_refused_form_on_a_status_page_is_logged_without_its_link(server_log):
    """A post without its CSRF cookie (an old tab, a browser that blocks cookies) is
    logged by django.security.csrf, a logger of its own."""
    aid_request = make_request()
    url = reverse(
        "requests_app:send_message", args=[aid_request.status_token, aid_request.reference]
    )

    response = Client(enforce_csrf_checks=True).post(url, {"text": "Hello"})

    assert response.status_code == 403
    line = f"Forbidden (CSRF cookie not set.): /en/status/(hidden)/{aid_request.reference}/message/"
    assert line in server_log.getvalue()
    assert aid_request.status_token not in server_log.getvalue()


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            '"GET /en/accounts/reset/MTU/cx1ab2-0123456789abcdef/ HTTP/1.1" 200',
            '"GET /en/accounts/reset/(hidden)/(hidden)/ HTTP/1.1" 200',
        ),
        ("Not Found: /ht/offer/Zm9vYmFyYmF6/", "Not Found: /ht/offer/(hidden)/"),
        ("Not Found: /ar/asked/Zm9vYmFyYmF6/", "Not Found: /ar/asked/(hidden)/"),
        # Nothing secret: left as it was.
        ("Not Found: /en/work/requests/4WFY-JT/", "Not Found: /en/work/requests/4WFY-JT/"),
        ("Not Found: /static/missing.css", "Not Found: /static/missing.css"),
        ("Bad Request: /en/ask/", "Bad Request: /en/ask/"),
    ],
)
def test_each_kind_of_private_link_is_hidden_and_nothing_else(line, shown):
    assert hide_secret_links(line) == shown


@pytest.mark.urls("tests.urls_with_a_fault")
def test_a_failing_page_is_logged_on_the_server_and_emailed_to_nobody(settings, caplog):
    settings.ADMINS = [("Someone who set ADMINS", "admin@example.org")]
    settings.MANAGERS = settings.ADMINS

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).post("/fails/", {"phone": "+16175550199"})

    assert response.status_code == 500
    assert "Internal Server Error: /fails/" in written(caplog)
    assert mail.outbox == []
