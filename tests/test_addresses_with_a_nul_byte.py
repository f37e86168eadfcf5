"""A NUL byte anywhere in an address is a 404, never a 500.

PostgreSQL refuses a NUL byte in text, so a reference or a private link with one, looked
up as it came, failed with a 500 (`/work/requests/%00/`). Every named address of the app
and the admin is asked, with each of its parts replaced by one holding a NUL byte, by
someone signed out, a volunteer and a coordinator, by GET and by POST."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import translation

from tests.factories import make_user, make_volunteer, sign_in

pytestmark = pytest.mark.django_db

PLACEHOLDER = "QQQQ-QQ"


def named_addresses_with_parts():
    """(full name, {part: value}) for every named URL that takes parts."""

    def walk(patterns, namespace, converters):
        for pattern in patterns:
            found = {**converters, **pattern.pattern.converters}
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern.url_patterns, inner, found)
            elif isinstance(pattern, URLPattern) and pattern.name and found:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, found

    return dict(walk(get_resolver().url_patterns, "", {}))


ADDRESSES = named_addresses_with_parts()


def addresses_with_a_nul_byte():
    with translation.override("en"):
        for name, converters in ADDRESSES.items():
            values = {
                part: 1 if isinstance(converter, IntConverter) else PLACEHOLDER
                for part, converter in converters.items()
            }
            address = reverse(name, kwargs=values)
            if PLACEHOLDER in address:
                yield name, address.replace(PLACEHOLDER, "Q%00Q")


def test_the_walk_finds_the_workspace_the_neighbors_pages_and_the_admin():
    names = dict(addresses_with_a_nul_byte())
    assert {
        "volunteers:request",
        "requests_app:status",
        "admin:requests_app_request_change",
    } <= set(names)


@pytest.fixture
def clients(pod):
    volunteer = Client()
    sign_in(volunteer, make_volunteer("Ana", pods=[pod]).user)
    coordinator = Client()
    sign_in(coordinator, make_user("maria", groups=["Coordinator"], is_staff=True))
    return {"signed out": Client(), "volunteer": volunteer, "coordinator": coordinator}


def test_no_address_with_a_nul_byte_is_a_500(clients):
    answers = {}
    for name, address in addresses_with_a_nul_byte():
        for who, client in clients.items():
            for method in (client.get, client.post):
                status = method(address).status_code
                answers[name, who, method.__name__] = status
    assert answers
    assert {key: status for key, status in answers.items() if status >= 500} == {}
    assert {answers[name, "volunteer", "get"] for name in ("volunteers:request",)} == {404}
    assert answers["requests_app:status", "signed out", "get"] == 404


def test_a_flyer_link_with_a_nul_byte_opens_the_ask_form_without_a_pod(client, pod):
    response = client.get(reverse("requests_app:ask") + "?pod=%00")
    assert response.status_code == 200
    assert response.context["form"].initial == {}
