"""Rosa asked for groceries last week. Today she needs a meal too: from her status page
she says what, and how soon, and nothing else. We reach her the way we did before, and
she follows it on the same page."""

import threading

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from requests_app.models import Channel, EventKind, Neighbor, Request, Urgency
from requests_app.services import ask_again, merge_neighbors
from tests.factories import (
    ask_data,
    form_started,
    make_category,
    make_neighbor,
    make_pod,
    make_request,
    make_user,
)
from tests.test_claim_race import in_thread, wait_until_a_query_waits_for_a_lock

pytestmark = pytest.mark.django_db


def url(name, language="en", *args):
    with translation.override(language):
        return reverse(f"requests_app:{name}", args=args)


def gettext_in(language, text):
    with translation.override(language):
        return translation.gettext(text)


def got_it_in(language):
    """The start of what the status page says after asking again for one thing."""
    with translation.override(language):
        said = translation.ngettext(
            "We got your request. Its reference is %(references)s. You can follow it below.",
            "We got your requests. Their references are %(references)s. You can follow them below.",
            1,
        )
    return said.split("%(references)s")[0].strip()


@pytest.fixture
def groceries():
    return make_category("groceries", name="Groceries", applies_to="needs")


@pytest.fixture
def meals():
    return make_category("meals", name="Meals", applies_to="needs")


def asks(client, needs, language="en", **data):
    """Rosa's first request, from the ask form: her first request on her link."""
    client.post(url("ask", language), ask_data(needs=[needs.pk], language=language, **data))
    return Request.objects.order_by("-pk").first()


def asks_again(client, token, needs, language="en", *, follow=False, **data):
    return client.post(
        url("ask_again", language, token),
        {
            "needs": [category.pk for category in needs],
            "details": "",
            "urgency": str(Urgency.THIS_WEEK),
            "homepage": "",
            "started": form_started(),
            **data,
        },
        follow=follow,
    )


@pytest.mark.parametrize("language", ["en", "ar", "ht"])
def test_rosa_asks_for_a_meal_from_her_status_page_without_typing_her_details_again(
    client, groceries, meals, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = asks(client, groceries, language, email="rosa@example.org")
    token = first.status_token
    mail.outbox.clear()

    status_page = client.get(url("status", language, token)).content.decode()
    assert url("ask_again", language, token) in status_page
    form_page = client.get(url("ask_again", language, token))
    html = form_page.content.decode()
    assert form_page.status_code == 200
    assert form_page["Cache-Control"] == "private, no-store"
    assert gettext_in(language, "Ask for something else") in html
    for contact_field in ("phone", "email", "name", "address"):
        assert f'name="{contact_field}"' not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = asks_again(
            client, token, [meals], language, details="A hot meal for two, no pork."
        )

    meal = Request.objects.get(category=meals)
    assert response.status_code == 302
    assert response["Location"] == f"{url('status', language, token)}#{meal.reference}"
    assert meal.neighbor == first.neighbor
    assert Neighbor.objects.count() == 1
    assert meal.status_token == token
    assert (meal.details, meal.language, meal.channel) == (
        "A hot meal for two, no pork.",
        language,
        Channel.WEB,
    )
    submitted = meal.events.get()
    assert (submitted.kind, submitted.by_neighbor) == (EventKind.SUBMITTED, True)

    status_page = client.get(response["Location"]).content.decode()
    assert first.reference in status_page
    assert meal.reference in status_page
    assert got_it_in(language) in status_page

    (email,) = mail.outbox
    assert email.to == ["rosa@example.org"]
    assert meal.reference in email.body
    assert token in email.body


def test_the_new_request_goes_to_the_pod_a_point_person_chose(client, groceries, meals):
    first = asks(client, groceries)  # "I don't know" my pod
    moody = make_pod("Moody Street")
    Request.objects.filter(pk=first.pk).update(pod=moody)  # triaged

    asks_again(client, first.status_token, [meals])

    assert Request.objects.get(category=meals).pod == moody


def test_two_needs_at_once_make_two_requests_and_one_message(client, groceries, meals):
    first = asks(client, groceries)
    childcare = make_category("childcare", applies_to="needs")

    response = asks_again(client, first.status_token, [meals, childcare], follow=True)

    new = Request.objects.exclude(pk=first.pk).order_by("pk")
    assert [r.category for r in new] == [meals, childcare]
    html = response.content.decode()
    assert f"{new[0].reference}, {new[1].reference}" in html
    assert len(mail.outbox) == 0  # Rosa left no email: nobody to write to


def test_nothing_ticked_is_explained_in_spanish_and_the_text_stays(client, groceries):
    first = asks(client, groceries, "es")

    response = asks_again(client, first.status_token, [], "es", details="Pañales talla 4")

    assert response.status_code == 200
    html = response.content.decode()
    assert gettext_in("es", "Choose at least one thing you need.") in html
    assert "Pañales talla 4" in html
    assert Request.objects.count() == 1


def test_a_link_whose_details_were_deleted_sends_rosa_to_the_full_form(client, groceries, meals):
    first = asks(client, groceries, "pt-br")
    client.post(url("erase_contact", "pt-br", first.status_token))

    status_page = client.get(url("status", "pt-br", first.status_token)).content.decode()
    assert url("ask_again", "pt-br", first.status_token) not in status_page
    for response in (
        client.get(url("ask_again", "pt-br", first.status_token), follow=True),
        asks_again(client, first.status_token, [meals], "pt-br", follow=True),
    ):
        assert response.redirect_chain[-1][0] == url("ask", "pt-br")
        assert (
            gettext_in(
                "pt-br",
                "Your contact details were deleted, so we would have no way to reach you. To ask again, please leave a phone number or an email here.",
            )
            in response.content.decode()
        )
    assert Request.objects.count() == 1


def test_a_link_that_is_nobodys_is_a_404(client, groceries):
    asks(client, groceries)
    assert client.get(url("ask_again", "en", "0" * 43)).status_code == 404
    assert asks_again(client, "0" * 43, [groceries]).status_code == 404


def test_asking_again_counts_against_the_same_limit_as_the_ask_form(client, groceries, meals):
    library = Client(REMOTE_ADDR="203.0.113.9")
    first = asks(library, groceries)
    for _ in range(4):
        assert asks_again(library, first.status_token, [meals]).status_code == 302

    response = asks_again(library, first.status_token, [meals], "ar", details="أحتاج حليبًا")

    assert response.status_code == 429
    assert response["Cache-Control"] == "private, no-store"
    assert "أحتاج حليبًا" in response.content.decode()
    assert Request.objects.count() == 5


def test_what_was_asked_again_from_a_link_that_joined_leaves_with_that_link(
    client, groceries, meals
):
    """Someone typed exactly Rosa's details (joining her record), then asked again from
    their link: deleting "my" details there takes both of their requests off Rosa's
    record, and Rosa's stays as it is."""
    hers = asks(client, groceries)
    theirs = asks(client, groceries)
    asks_again(client, theirs.status_token, [meals])
    rosa = hers.neighbor

    client.post(url("erase_contact", "en", theirs.status_token))

    rosa.refresh_from_db()
    assert (rosa.phone, rosa.contact_erased_at) == ("+16175550142", None)
    assert list(rosa.requests.all()) == [hers]
    moved = Request.objects.filter(status_token=theirs.status_token)
    assert moved.count() == 2
    assert all(r.neighbor.contact_erased_at is not None for r in moved)


def test_after_a_coordinator_joined_rosas_records_she_asks_on_the_one_kept(
    client, groceries, meals
):
    first = asks(client, groceries)
    kept = make_neighbor(name="Rosa M.", phone="", email="rosa@example.org")
    merge_neighbors(kept, [first.neighbor], by=make_user("maria", is_staff=True))

    asks_again(client, first.status_token, [meals])

    assert Request.objects.get(category=meals).neighbor == kept


def test_the_ask_again_page_reads_the_same_queries_for_1_or_20_requests(
    client, groceries, django_assert_max_num_queries
):
    first = asks(client, groceries)
    for _ in range(19):
        make_request(neighbor=first.neighbor, status_token=first.status_token)
    with django_assert_max_num_queries(3):  # the link's newest request, the needs, sessions
        assert client.get(url("ask_again", "en", first.status_token)).status_code == 200


def test_asking_again_is_one_transaction():
    wrappers = [cell.cell_contents for cell in ask_again.__closure__ or ()]
    assert any(isinstance(w, transaction.Atomic) for w in wrappers)


@pytest.mark.django_db(transaction=True)
def test_asking_again_while_a_coordinator_joins_the_record_lands_on_the_one_kept():
    groceries, meals = make_category("groceries"), make_category("meals")
    by_phone = make_neighbor(name="Rosa", phone="+16175550142")
    kept = make_neighbor(name="Rosa M.", phone="", email="rosa@example.org")
    first = make_request(neighbor=by_phone, category=groceries)
    maria = make_user("maria", is_staff=True)
    merge_holds_the_records = threading.Event()
    let_merge_commit = threading.Event()
    asked = []

    def coordinator_joins():
        with transaction.atomic():
            merge_neighbors(kept, [by_phone], by=maria)
            merge_holds_the_records.set()
            let_merge_commit.wait(10)

    def rosa_asks_again():
        asked.extend(ask_again(first.status_token, needs=[meals], urgency=Urgency.THIS_WEEK))

    joining = in_thread(coordinator_joins)
    assert merge_holds_the_records.wait(10)
    asking = in_thread(rosa_asks_again)
    wait_until_a_query_waits_for_a_lock()
    let_merge_commit.set()
    joining.join(10)
    asking.join(10)

    (meal,) = asked
    assert Request.objects.get(pk=meal.pk).neighbor == kept
    assert not Neighbor.objects.filter(pk=by_phone.pk).exists()
