"""Whatever anyone types after the ? of a list page, the answer is a page, a redirect, a
400 or a 404: never a server error.

Each list page gets the hostile value in each parameter it reads, one at a time (a form
that rejects one bad filter would otherwise hide what the next one does), then in all of
them at once. `cursor` and `after` go to every page too: a page that does not read them
must ignore them.
"""

import re
from urllib.parse import quote, unquote

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from requests_app.models import Repeat
from tests.factories import (
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_volunteer,
    sign_in,
)
from volunteers.forms import QueueFilterForm

ANSWERS = {200, 302, 400, 404}
EVERY_PAGE = ["page", "cursor", "after"]
# What every changelist reads: search, page, order, show all, popups' field, facets.
ADMIN_PARAMS = ["q", "p", "o", "all", "_to_field", "_facets"]

# How each value is written in the query string: already percent-encoded, so %FF and %00
# reach Django as the raw bytes a browser or a robot would send.
HOSTILE_VALUES = {
    "garbage": quote("zz'\"<>;--%garbage", safe=""),
    "plus": "+",
    "nul": "%00",
    "invalid-utf8": "%FF",
    "huge-number": "99999999999999999999",
    "four-nines": "9999",  # a year datetime holds, but not the year after it
    "negative": "-1",
    "fraction": "1.5",
    "array": None,  # the parameter twice: page=1&page=2
    "ten-kb": "x" * 10_240,
    "ten-kb-of-digits": "9" * 10_240,  # past Python's 4300-digit limit for int()
}


def query(params, value_id):
    """The query string that puts the hostile value in each of these parameters."""
    if value_id == "array":
        return "&".join(f"{param}=1&{param}=2" for param in params)
    return "&".join(f"{param}={HOSTILE_VALUES[value_id]}" for param in params)


# --- One network for the whole file --------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A little of everything, so every list has rows and filters, and a client signed in
    as someone who may open all of them: a coordinator volunteer who is also a superuser
    (every admin list), past the second sign-in step. Built once, in a transaction rolled
    back after the last test; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic(), translation.override("en"):
        pod = make_pod("Prospect Hill", slug="prospect-hill")
        category = make_category("groceries")
        coordinator = make_volunteer("Maria", pods=[pod], groups=["Volunteer", "Coordinator"])
        user = coordinator.user
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        pod.point_people.add(coordinator)
        repeating = make_request(neighbor=make_neighbor(pod=pod), category=category, pod=pod)
        repeating.record("note", by=user, text="Called.")
        repeating.claim(coordinator)
        repeating.set_repeat(Repeat.WEEKLY, by=user)
        make_request(category=category)
        make_offer(category=category, pod=pod)
        make_resource(categories=[category])
        client = sign_in(Client(), user)
        yield {"client": client, "pages": _pages(client, repeating)}
        transaction.set_rollback(True)


def _pages(client, repeating):
    """Each list page, the parameters its own code reads (each gets a request of its own),
    and those every page of its kind reads (sent only with all the others)."""
    pages = {
        "resources": (reverse("requests_app:resources"), ["need"], EVERY_PAGE),
        "queue": (reverse("volunteers:queue"), list(QueueFilterForm.base_fields), EVERY_PAGE),
        "my-work": (reverse("volunteers:my_work"), [], EVERY_PAGE),
        "rota": (reverse("volunteers:rota", args=[repeating.reference]), ["date"], EVERY_PAGE),
        "reports": (reverse("volunteers:reports"), ["weeks", "csv"], EVERY_PAGE),
        "flyers": (reverse("volunteers:flyers"), ["pod", "lang"], EVERY_PAGE),
    }
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        html = client.get(url).content.decode()
        # The changelist's own filter and date links name every filter parameter it reads.
        found = {
            unquote(name)
            for link in re.findall(r'href="\?([^"]*)"', html)
            for name in re.findall(r"(?:^|&amp;|&)([^=&]+)=", link)
        }
        pages[admin_page(model)] = (
            url,
            sorted(found - set(ADMIN_PARAMS)),
            [*ADMIN_PARAMS, *EVERY_PAGE],
        )
    return pages


def admin_page(model):
    return f"admin-{model._meta.app_label}-{model._meta.model_name}"


LIST_PAGES = [
    "resources",
    "queue",
    "my-work",
    "rota",
    "reports",
    "flyers",
    *(admin_page(model) for model in admin.site._registry),
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", LIST_PAGES)
def test_each_list_page_opens_for_the_signed_in_coordinator(world, page):
    """Without this, a hostile request answered with a redirect to sign in would pass."""
    url, _own, _common = world["pages"][page]
    assert world["client"].get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value_id", HOSTILE_VALUES)
@pytest.mark.parametrize("page", LIST_PAGES)
def test_a_list_page_answers_hostile_query_strings_without_a_server_error(world, page, value_id):
    url, own, common = world["pages"][page]
    # One at a time: a form or a changelist that rejects one bad filter stops reading
    # the rest, so all at once alone would leave most of them untried.
    for sent in [*([param] for param in own), [*own, *common]]:
        full = f"{url}?{query(sent, value_id)}"
        status = world["client"].get(full).status_code
        assert status in ANSWERS, f"{status} for {full[:300]}"


@pytest.mark.django_db
def test_the_admin_filters_are_found_from_the_changelist_itself(world):
    _url, own, _common = world["pages"]["admin-requests_app-request"]
    assert {"status__exact", "category__id__exact", "created_at__gte"} <= set(own)
