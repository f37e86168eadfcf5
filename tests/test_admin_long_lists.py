"""A coordinator's long lists in the admin stay quick and usable at network scale: pods
chosen from one drop-down that works without JavaScript, no facet counts over the whole
table, and each row's checkbox exactly as Django draws it."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from requests_app.admin_paging import SeekPaging
from requests_app.models import Request, RequestStatus
from tests.factories import make_pod, make_request

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:requests_app_request_changelist")


class DropDownReader(HTMLParser):
    """The pod filter's form, as a browser would send it: its hidden fields, and the
    options of its one drop-down."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.hidden = []
        self.select_name = None
        self.options = []  # (value, label, selected, disabled)
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "drop-down-filter" in (attrs.get("class") or ""):
            self.inside = True
        elif self.inside and tag == "input" and attrs.get("type") == "hidden":
            self.hidden.append((attrs["name"], attrs["value"]))
        elif self.inside and tag == "select":
            self.select_name = attrs["name"]
        elif self.inside and tag == "option":
            self._option = [attrs["value"], "", "selected" in attrs, "disabled" in attrs]

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options.append(tuple(self._option))
            self._option = None
        elif tag == "form":
            self.inside = False

    def submit(self, label):
        """What the browser sends when the drop-down is set to `label` and Filter pressed."""
        (value,) = [value for value, shown, _s, _d in self.options if shown == label]
        return [*self.hidden, (self.select_name, value)]


def drop_down(html):
    reader = DropDownReader()
    reader.feed(html)
    return reader


def references(html):
    return set(re.findall(r'<th class="field-reference"><a href="[^"]+">([^<]+)</a>', html))


def test_a_coordinator_picks_a_pod_from_a_drop_down_and_keeps_the_other_filters(
    coordinator_client,
):
    riverside, highlands = make_pod(name="Riverside"), make_pod(name="Highlands")
    open_in_riverside = make_request(pod=riverside, status=RequestStatus.OPEN)
    make_request(pod=riverside, status=RequestStatus.NEW)
    make_request(pod=highlands, status=RequestStatus.OPEN)

    filtered = coordinator_client.get(REQUESTS, {"status__exact": "open"}).content.decode()
    form = drop_down(filtered)
    assert [label for _v, label, _s, _d in form.options] == ["Pod", "Highlands", "Riverside"]
    assert form.options[0][2:] == (True, True)  # nothing chosen yet, and it sends nothing
    assert ("status__exact", "open") in form.hidden

    chosen = coordinator_client.get(REQUESTS, form.submit("Riverside")).content.decode()

    assert references(chosen) == {open_in_riverside.reference}
    again = drop_down(chosen)
    assert [label for _v, label, selected, _d in again.options if selected] == ["Riverside"]
    # Choosing another pod replaces this one rather than adding to it.
    assert again.select_name not in dict(again.hidden)


def test_the_drop_down_keeps_the_search_and_starts_again_from_the_newest(coordinator_client):
    riverside = make_pod(name="Riverside")
    milk = make_request(pod=riverside, details="milk please")
    make_request(pod=riverside, details="bread please")
    make_request(pod=None, details="milk too")
    # Requests in no pod, a search, and a cursor from paging: then a pod is picked.
    listed = coordinator_client.get(
        REQUESTS, {"pod__isnull": "True", "q": "milk", "cursor": "abc"}
    ).content.decode()
    form = drop_down(listed)
    sent = dict(form.hidden)
    assert sent == {"q": "milk"}
    assert form.options[0][2:] == (True, True)  # "no pod" is not one of the pods

    chosen = coordinator_client.get(REQUESTS, form.submit("Riverside")).content.decode()

    assert references(chosen) == {milk.reference}


def test_a_pod_that_is_not_in_the_list_chooses_nothing_in_the_drop_down(coordinator_client):
    make_pod(name="Riverside")
    make_request()
    listed = coordinator_client.get(REQUESTS, {"pod__id__exact": "999999"}).content.decode()
    assert [label for _v, label, selected, _d in drop_down(listed).options if selected] == ["Pod"]


def test_the_drop_down_lists_pods_in_the_order_of_the_coordinators_language(
    coordinator_client,
):
    make_pod(name_en="Zebra Street", name_es="Avenida Cebra")
    make_pod(name_en="Apple Hill")  # no Spanish name: shown in English
    make_pod(name_en="Maple", name_es="Barrio Arce")
    make_request()
    with translation.override("es"):
        url = reverse("admin:requests_app_request_changelist")
    form = drop_down(coordinator_client.get(url).content.decode())
    assert [label for _v, label, _s, _d in form.options[1:]] == [
        "Apple Hill",
        "Avenida Cebra",
        "Barrio Arce",
    ]


def test_requests_in_no_pod_are_one_link_away(coordinator_client):
    unassigned = make_request(pod=None)
    make_request(pod=make_pod(name="Riverside"))
    html = coordinator_client.get(REQUESTS).content.decode()
    href = re.search(r'<a href="(\?pod__isnull=True)">', html).group(1)

    assert references(coordinator_client.get(REQUESTS + href).content.decode()) == {
        unassigned.reference
    }


def test_the_drop_down_reads_pod_names_in_the_coordinators_language(coordinator_client):
    make_pod(name_en="Riverside", name_es="Ribera")
    make_request()
    with translation.override("es"):
        url = reverse("admin:requests_app_request_changelist")
    form = drop_down(coordinator_client.get(url).content.decode())
    assert "Ribera" in [label for _v, label, _s, _d in form.options]


def test_a_coordinator_gets_no_facet_counts_over_the_whole_table(coordinator_client):
    make_pod(name="Riverside")
    make_request()
    coordinator_client.get(REQUESTS)
    with CaptureQueriesContext(connection) as plain:
        coordinator_client.get(REQUESTS)
    with CaptureQueriesContext(connection) as asked_for_counts:
        response = coordinator_client.get(REQUESTS, {"_facets": "1"})

    assert response.status_code == 200
    assert len(asked_for_counts) == len(plain)
    assert "FILTER (WHERE" not in " ".join(q["sql"] for q in asked_for_counts.captured_queries)


WRITTEN_OUT = [
    model for model, model_admin in site._registry.items() if isinstance(model_admin, SeekPaging)
]


def test_the_long_lists_write_their_checkboxes_out():
    assert {model.__name__ for model in WRITTEN_OUT} >= {"Request", "Event", "AuditEntry"}


@pytest.mark.parametrize("model", WRITTEN_OUT, ids=lambda model: model.__name__)
def test_each_rows_checkbox_is_the_one_django_draws(model):
    model_admin = site._registry[model]

    class Tricky:
        pk = 7

        def __str__(self):
            return 'A&B <"quoted">'

    ours = model_admin.action_checkbox(Tricky())
    assert ours == admin.ModelAdmin.action_checkbox(model_admin, Tricky())


def test_the_request_list_with_a_pod_drop_down_reads_the_same_number_of_queries(
    coordinator_client, django_assert_max_num_queries
):
    for number in range(40):
        make_pod(name=f"Pod {number:03}")
    make_request()
    coordinator_client.get(REQUESTS)
    with CaptureQueriesContext(connection) as few_pods:
        coordinator_client.get(REQUESTS)
    for number in range(40, 120):
        make_pod(name=f"Pod {number:03}")
    with django_assert_max_num_queries(len(few_pods)):
        html = coordinator_client.get(REQUESTS).content.decode()
    assert len(drop_down(html).options) == 1 + 120
    assert Request.objects.count() == 1


def test_the_filters_heading_is_a_noun_and_the_button_a_verb_in_spanish(coordinator_client):
    make_pod(name="Riverside")
    make_request()
    with translation.override("es"):
        url = reverse("admin:requests_app_request_changelist")
    html = coordinator_client.get(url).content.decode()
    assert re.search(r"<h2[^>]*>\s*Filtro\s*</h2>", html)
    assert 'value="Filtrar"' in html
