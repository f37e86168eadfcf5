"""An old phone on a thin data plan: small pages, fixed queries, no scripts."""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from tests.factories import make_category, make_pod

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "requests_app:home",
    "requests_app:ask",
    "requests_app:offer",
    "volunteers:sign_up",
    "requests_app:resources",
    "requests_app:privacy",
]
BUDGET_BYTES = 30 * 1024


def url(name, language):
    with translation.override(language):
        return reverse(name)


def stylesheet_gzipped():
    with open(finders.find("css/site.css"), "rb") as css:
        return len(gzip.compress(css.read()))


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("language", ["en", "ar", "zh-hans"])
def test_each_public_page_with_its_css_stays_under_30_kb(client, name, language):
    html = client.get(url(name, language)).content
    assert b"<script" not in html
    assert len(gzip.compress(html)) <= 14 * 1024  # the first round trip
    assert len(gzip.compress(html)) + stylesheet_gzipped() <= BUDGET_BYTES


@pytest.mark.parametrize(
    ("name", "first_visit", "next_visits"),
    [
        ("requests_app:home", 0, 0),
        ("requests_app:ask", 3, 1),
        ("requests_app:offer", 3, 1),
        ("volunteers:sign_up", 4, 1),
        ("requests_app:privacy", 0, 0),
    ],
)
@pytest.mark.parametrize("how_many", [1, 30])
def test_public_forms_run_the_same_queries_whatever_the_data_size(
    client, name, first_visit, next_visits, how_many, django_assert_max_num_queries
):
    """The first visit reads the version of pods and categories, then the choices; the
    page is then kept, and later visits read only the version (in production, at most
    once a second: waltham_aid/kept_pages.py)."""
    for n in range(how_many):
        make_pod()
        make_category(f"kind-{n}")
    with django_assert_max_num_queries(first_visit):
        assert client.get(url(name, "en")).status_code == 200
    with django_assert_max_num_queries(next_visits):
        assert client.get(url(name, "en")).status_code == 200
