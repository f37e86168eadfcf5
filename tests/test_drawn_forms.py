"""Forms drawn cheaply must be drawn exactly as before: the pod list, the cached fields of
the public forms and the queue's filters (waltham_aid/widgets.py,
waltham_aid/templatetags/drawn_forms.py)."""

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.core.cache import caches
from django.test.html import parse_html
from django.utils import translation

from requests_app.forms import AskForm, OfferForm
from requests_app.models import AppliesTo
from tests.factories import ask_data, make_category, make_pod
from volunteers.forms import QueueFilterForm
from waltham_aid.templatetags.drawn_forms import draw_form, fingerprint
from waltham_aid.widgets import PlainSelect

CHOICES = [
    ("", "I don't know"),
    ("1", 'Prospect Hill <b>& "friends"</b>'),
    ("Far away", [("2", "North Side"), ("3", "South Side")]),
    ("4", "Smith's corner"),
]


@pytest.fixture(autouse=True)
def empty_drawn_forms_cache():
    caches["drawn_forms"].clear()
    yield
    caches["drawn_forms"].clear()


@pytest.mark.parametrize("value", [None, "", "1", "3", ["4"]])
def test_plain_select_writes_what_djangos_select_writes(value):
    attrs = {"id": "id_pod", "required": True, "class": "form-select", "aria-describedby": "x"}
    ours = PlainSelect(choices=CHOICES).render("pod", value, attrs=attrs)
    djangos = forms.Select(choices=CHOICES).render("pod", value, attrs=attrs)
    assert parse_html(ours) == parse_html(djangos)
    assert "<b>" not in ours  # a name is text, never markup


@pytest.mark.django_db
def test_the_pod_list_is_in_the_readers_language_and_order(client):
    make_pod("Zebra Street", name_es="Calle Cebra", slug="zebra")
    make_pod("Avenue of Oaks", slug="oaks")  # no Spanish name: the English one is shown
    make_pod("Closed pod", slug="closed", active=False)

    page = client.get("/es/ask/").content.decode()

    options = page[page.index('name="pod"') :].split("</select>")[0]
    assert options.index("Avenue of Oaks") < options.index("Calle Cebra")
    assert "Closed pod" not in options
    assert "Zebra Street" not in options


@pytest.mark.django_db
def test_a_chosen_pod_is_still_checked_and_cleaned_to_the_pod(client):
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    closed = make_pod("Closed pod", slug="closed", active=False)
    form = AskForm(data=ask_data(pod=str(pod.pk)))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["pod"] == pod

    refused = AskForm(data=ask_data(pod=str(closed.pk)))
    assert not refused.is_valid()
    assert "pod" in refused.errors


@pytest.mark.django_db
def test_the_ask_form_is_drawn_once_and_then_the_same_for_everyone():
    make_category("groceries", applies_to=AppliesTo.NEEDS)
    make_pod("Prospect Hill")
    first = AskForm()
    fresh = render_crispy_form(AskForm(), helper=first.helper)

    drawn = draw_form(first)
    again = draw_form(AskForm())

    assert parse_html(drawn) == parse_html(fresh)
    assert again == drawn
    assert caches["drawn_forms"].get(fingerprint(AskForm())) == drawn


@pytest.mark.django_db
def test_renaming_a_pod_shows_at_once_on_the_drawn_form():
    make_category("groceries", applies_to=AppliesTo.NEEDS)
    pod = make_pod("Prospect Hill")
    assert "Prospect Hill" in draw_form(AskForm())

    pod.name = "Prospect Hill and Union Square"
    pod.save()

    assert "Prospect Hill and Union Square" in draw_form(AskForm())


@pytest.mark.django_db
def test_each_language_and_each_form_has_its_own_drawing():
    make_category("groceries", applies_to=AppliesTo.BOTH)
    english = draw_form(AskForm())
    with translation.override("es"):
        spanish = draw_form(AskForm())
    offer = draw_form(OfferForm())

    assert "Your pod, if you know it" in english
    assert "Your pod, if you know it" not in spanish
    assert "What can you offer?" in offer
    assert "What can you offer?" not in english


@pytest.mark.django_db
def test_a_form_with_errors_is_drawn_fresh_with_what_was_typed():
    make_category("groceries", applies_to=AppliesTo.NEEDS)
    form = AskForm(data=ask_data(phone="not a phone", details="Rice and beans, please"))

    drawn = draw_form(form)

    assert "Rice and beans, please" in drawn
    assert "Enter a phone number we can call" in drawn
    assert caches["drawn_forms"].get(fingerprint(form)) is None


@pytest.mark.django_db
def test_what_a_neighbor_typed_is_never_kept_even_when_it_is_valid():
    make_category("groceries", applies_to=AppliesTo.NEEDS)
    form = AskForm(data=ask_data(details="Rice and beans, please"))
    assert form.is_valid(), form.errors

    assert "Rice and beans, please" in draw_form(form)
    assert caches["drawn_forms"].get(fingerprint(form)) is None


@pytest.mark.django_db
def test_the_queue_filters_keep_what_was_chosen():
    pod = make_pod("Prospect Hill")
    other = make_pod("South Side")

    chosen = draw_form(_valid(QueueFilterForm({"pod": str(pod.pk), "unclaimed": "on"})))
    other_chosen = draw_form(_valid(QueueFilterForm({"pod": str(other.pk)})))

    assert f'<option value="{pod.pk}" selected>' in chosen
    assert f'<option value="{other.pk}" selected>' in other_chosen
    assert f'<option value="{pod.pk}" selected>' not in other_chosen
    assert caches["drawn_forms"].get(fingerprint(QueueFilterForm({"pod": str(other.pk)})))
    assert 'name="unclaimed" class="checkboxinput form-check-input" id="id_unclaimed" checked' in (
        " ".join(chosen.split())
    )


def _valid(form):
    assert form.is_valid(), form.errors
    return form
