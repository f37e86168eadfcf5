"""Rosa asked for groceries last week. Today she needs a meal too: from her status page
she says what, and how soon, and nothing else. We reach her the way we did before, and
she follows it on the same page."""

import threading

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import translation

from requests_app.models import Channel, EventKind, Neighbor, Request, Urgency
from requests_app.services import (
    FullFormNeeded,
    ask_again,
    erase_what_a_link_gave,
    merge_neighbors,
)
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
from tests.test_joining_neighbor_records import while_a_volunteer_holds
from tests.test_neighbor_asks import gettext_in, url

pytestmark = pytest.mark.django_db


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
        url("ask_something_else", language, token),
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
    assert url("ask_something_else", language, token) in status_page
    form_page = client.get(url("ask_something_else", language, token))
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
    erased = gettext_in(
        "pt-br",
        "Your contact details were deleted, so we would have no way to reach you. To ask again, please leave a phone number or an email here.",
    )

    status_page = client.get(url("status", "pt-br", first.status_token)).content.decode()
    assert url("ask_something_else", "pt-br", first.status_token) in status_page
    opened = client.get(url("ask_something_else", "pt-br", first.status_token), follow=True)
    assert opened.redirect_chain[-1][0] == url("ask", "pt-br")
    assert erased in opened.content.decode()

    # Deleted in another tab while she was typing: her words come along to the full form.
    sent = asks_again(client, first.status_token, [meals], "pt-br", details="Jantar, 3 pessoas")
    assert sent.status_code == 409
    html = sent.content.decode()
    assert erased in html
    assert f'action="{url("ask", "pt-br")}"' in html
    assert "Jantar, 3 pessoas</textarea>" in html
    assert sent.context["form"]["needs"].value() == [str(meals.pk)]
    assert Request.objects.count() == 1


def test_a_link_whose_requests_a_coordinator_split_between_records_asks_for_details(
    client, groceries, meals
):
    """Rosa's link had two requests; a coordinator moved the second to Ana's record, as
    it was for Ana. Asking again from the link could land on either: it is not ours to
    guess, and neither Rosa's nor Ana's record gets anything, nor Ana an email."""
    first = asks(client, groceries, email="rosa@example.org")
    second = make_request(neighbor=first.neighbor, status_token=first.status_token)
    ana = make_neighbor(name="Ana", email="ana@example.org")
    Request.objects.filter(pk=second.pk).update(neighbor=ana)
    mail.outbox.clear()

    opened = client.get(url("ask_something_else", "en", first.status_token))
    assert opened.status_code == 302
    assert opened["Location"] == url("ask", "en")
    sent = asks_again(client, first.status_token, [meals], details="Soup for two")
    assert sent.status_code == 409
    assert "please give your contact details once more" in sent.content.decode()
    assert "Soup for two</textarea>" in sent.content.decode()
    assert not Request.objects.filter(category=meals).exists()
    assert mail.outbox == []
    with pytest.raises(FullFormNeeded) as refused:
        ask_again(first.status_token, needs=[meals], urgency=Urgency.THIS_WEEK)
    assert refused.value.erased is False


def test_a_link_that_is_nobodys_is_a_404(client, groceries):
    asks(client, groceries)
    assert client.get(url("ask_something_else", "en", "0" * 43)).status_code == 404
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


@pytest.mark.parametrize("how_many", [1, 20])
def test_the_page_reads_the_same_queries_for_1_or_20_requests_on_the_link(
    client, groceries, how_many, django_assert_max_num_queries
):
    first = asks(client, groceries)
    for _ in range(how_many - 1):
        make_request(neighbor=first.neighbor, status_token=first.status_token)
    with django_assert_max_num_queries(3):  # the link's newest request, any elsewhere, needs
        assert client.get(url("ask_something_else", "en", first.status_token)).status_code == 200


def test_asking_again_is_all_or_nothing(client, groceries, meals, fail_the_second_request_event):
    """If the second new request cannot be saved, the first is not saved either."""
    first = asks(client, groceries)
    childcare = make_category("childcare", applies_to="needs")
    fail_the_second_request_event()
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        asks_again(client, first.status_token, [meals, childcare])
    assert list(Request.objects.all()) == [first]


@pytest.mark.django_db(transaction=True)
def test_a_request_a_volunteer_holds_too_long_brings_the_form_back_with_the_text():
    """A lock held past the server's patience (here 200 ms) is tried once more, then the
    form comes back with what Rosa typed and a word to send it again: never a 500."""
    first = make_request(neighbor=make_neighbor(name="Rosa"), category=make_category("groceries"))
    meals = make_category("meals")
    client = Client()
    with while_a_volunteer_holds(first):
        response = asks_again(client, first.status_token, [meals], "es", details="Sopa, por favor")

    assert response.status_code == 503
    html = response.content.decode()
    assert "Sopa, por favor" in html
    assert gettext_in("es", "We could not save this just now. Please send it again.") in html
    assert not Request.objects.filter(category=meals).exists()


@pytest.mark.django_db(transaction=True)
def test_asking_again_while_the_details_are_being_deleted_asks_for_new_ones():
    """Rosa presses Delete my contact details in one tab and sends a new need in another:
    the new request waits for the deletion, then goes to the full form, not onto a
    record nobody can reach."""
    first = make_request(neighbor=make_neighbor(name="Rosa"), category=make_category("groceries"))
    meals = make_category("meals")
    erasing_holds_the_record = threading.Event()
    let_erasing_commit = threading.Event()
    refused = []

    def rosa_deletes():
        with transaction.atomic():
            erase_what_a_link_gave(status_token=first.status_token)
            erasing_holds_the_record.set()
            let_erasing_commit.wait(10)

    def rosa_asks_again():
        try:
            ask_again(first.status_token, needs=[meals], urgency=Urgency.THIS_WEEK)
        except FullFormNeeded as needed:
            refused.append(needed)

    deleting = in_thread(rosa_deletes)
    assert erasing_holds_the_record.wait(10)
    asking = in_thread(rosa_asks_again)
    wait_until_a_query_waits_for_a_lock()
    let_erasing_commit.set()
    deleting.join(10)
    asking.join(10)

    assert [needed.erased for needed in refused] == [True]
    assert not Request.objects.filter(category=meals).exists()


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
