"""A neighbor asks for help: the easiest form they have filled in, in their language,
and it never loses a word they typed."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from requests_app.models import (
    Event,
    EventKind,
    Neighbor,
    Request,
    RequestStatus,
    Urgency,
)
from tests.factories import (
    ask_data,
    form_started,
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
)

pytestmark = pytest.mark.django_db


def url(name, language="en", *args):
    with translation.override(language):
        return reverse(f"requests_app:{name}", args=args)


def gettext_in(language, text):
    with translation.override(language):
        return translation.gettext(text)


@pytest.fixture
def groceries():
    return make_category("groceries", name="Groceries", applies_to="needs")


@pytest.fixture
def childcare():
    return make_category("childcare", name="Childcare", applies_to="both")


@pytest.mark.parametrize("language", ["en", "ar", "ht"])
def test_neighbor_asks_for_groceries_and_childcare_and_follows_both(
    client, groceries, childcare, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("ask", language),
            ask_data(
                needs=[groceries.pk, childcare.pk], language=language, email="rosa@example.org"
            ),
        )

    assert response.status_code == 302
    neighbor = Neighbor.objects.get()
    assert neighbor.phone == "+16175550142"
    assert neighbor.language == language
    first, second = Request.objects.order_by("pk")
    assert {first.category, second.category} == {groceries, childcare}
    assert first.status_token == second.status_token
    assert first.language == language
    assert first.urgency == Urgency.THIS_WEEK
    assert all(r.events.get().kind == EventKind.SUBMITTED for r in (first, second))

    confirmation = client.get(response["Location"])
    html = confirmation.content.decode()
    assert first.reference in html
    assert second.reference in html
    assert url("status", language, first.status_token) in html
    assert f'lang="{language}"' in html
    assert gettext_in(language, "We got your request") in html
    assert confirmation["X-Robots-Tag"] == "noindex, nofollow"

    status_page = client.get(url("status", language, first.status_token)).content.decode()
    assert first.reference in status_page
    assert second.reference in status_page
    # Not the phone (a bare "617" can turn up inside a random token on the page).
    assert "0142" not in status_page
    assert "rosa@example.org" not in status_page

    (email,) = mail.outbox
    assert email.to == ["rosa@example.org"]
    assert first.reference in email.body
    assert first.status_token in email.body
    assert gettext_in(language, "We got your request.") in email.body


def test_neighbor_withdraws_after_being_asked_to_confirm(client, groceries):
    client.post(url("ask"), ask_data())
    aid_request = Request.objects.get()
    withdraw_url = url("withdraw", "en", aid_request.status_token, aid_request.reference)

    confirm_page = client.get(withdraw_url)
    aid_request.refresh_from_db()
    assert confirm_page.status_code == 200
    assert aid_request.status == RequestStatus.NEW

    client.post(withdraw_url)
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.WITHDRAWN
    assert aid_request.events.last().by_neighbor


def test_neighbor_deletes_their_contact_details_and_the_request_stays(client, groceries):
    client.post(url("ask", "ht"), ask_data(language="ht", email="jean@example.org"))
    aid_request = Request.objects.get()

    response = client.post(url("erase_contact", "ht", aid_request.status_token), follow=True)

    neighbor = Neighbor.objects.get()
    assert (neighbor.name, neighbor.phone, neighbor.email, neighbor.address) == ("", "", "", "")
    assert neighbor.contact_erased_at is not None
    assert Request.objects.filter(pk=aid_request.pk, status=RequestStatus.NEW).exists()
    assert aid_request.events.filter(kind=EventKind.CONTACT_ERASED).exists()
    assert gettext_in(
        "ht", "Your contact details are deleted. Nobody can see how to reach you."
    ) in (response.content.decode())


def test_neighbor_sends_a_message_to_whoever_is_helping(client, groceries):
    client.post(url("ask"), ask_data())
    aid_request = Request.objects.get()

    client.post(
        url("send_message", "en", aid_request.status_token, aid_request.reference),
        {"text": "Please come after 5pm.", "started": form_started(), "homepage": ""},
    )

    event = aid_request.events.get(kind=EventKind.MESSAGE_FROM_NEIGHBOR)
    assert event.text == "Please come after 5pm."
    assert event.by_neighbor
    assert (
        "Please come after 5pm."
        in client.get(url("status", "en", aid_request.status_token)).content.decode()
    )


def test_each_open_request_has_its_own_message_box_with_ids_of_its_own(
    client, groceries, childcare
):
    client.post(url("ask"), ask_data(needs=[groceries.pk, childcare.pk]))
    first, second = Request.objects.order_by("pk")

    html = client.get(url("status", "en", first.status_token)).content.decode()

    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for aid_request in (first, second):
        box = f"id_{aid_request.reference}_text"
        assert re.search(rf'<label\s+for="{box}"', html)
        assert f'id="{box}"' in html


def test_a_message_typed_while_the_request_was_closed_becomes_a_new_request_draft(
    client, groceries
):
    client.post(url("ask", "es"), ask_data())
    aid_request = Request.objects.get()
    aid_request.close(RequestStatus.FULFILLED, by=None)

    response = client.post(
        url("send_message", "es", aid_request.status_token, aid_request.reference),
        {"text": "Todavía necesito pañales", "started": form_started(), "homepage": ""},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Todavía necesito pañales</textarea>" in html
    assert url("ask_something_else", "es", aid_request.status_token) in html
    assert (
        gettext_in(
            "es",
            "This request was closed meanwhile, so your message was not sent. If you still need help, send your words from here as a new request.",
        )
        in html
    )
    assert not aid_request.events.filter(kind=EventKind.MESSAGE_FROM_NEIGHBOR).exists()


def test_a_message_on_a_closed_request_of_an_erased_link_reaches_the_full_form_with_its_words(
    client, groceries
):
    client.post(url("ask"), ask_data())
    aid_request = Request.objects.get()
    aid_request.close(RequestStatus.FULFILLED, by=None)
    client.post(url("erase_contact", "en", aid_request.status_token))

    response = client.post(
        url("send_message", "en", aid_request.status_token, aid_request.reference),
        {"text": "Still need diapers", "started": form_started(), "homepage": ""},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert f'action="{url("ask")}"' in html
    assert "Still need diapers</textarea>" in html
    assert not aid_request.events.filter(kind=EventKind.MESSAGE_FROM_NEIGHBOR).exists()


def test_the_language_and_page_links_after_a_refused_message_lead_to_the_status_page(
    client, groceries
):
    client.post(url("ask"), ask_data())
    aid_request = Request.objects.get()
    message_url = url("send_message", "es", aid_request.status_token, aid_request.reference)
    refused = client.post(message_url, {"text": " ", "started": form_started()})
    assert refused.status_code == 400

    again = client.get(message_url + "?messages=abc")

    assert again.status_code == 302
    assert again["Location"] == url("status", "es", aid_request.status_token) + "?messages=abc"


def test_neighbor_who_leaves_no_contact_sees_why_and_keeps_what_they_typed(client, groceries):
    response = client.post(
        url("ask", "es"), ask_data(phone="", email="", details="Arroz y leche, por favor")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert gettext_in("es", "Leave a phone number or an email so we can reach you.") in html
    assert "Arroz y leche, por favor" in html
    assert 'value="Rosa"' in html
    assert not Request.objects.exists()
    assert not Neighbor.objects.exists()


def test_a_wrong_phone_number_is_explained_in_creole_and_nothing_is_lost(client, groceries):
    response = client.post(url("ask", "ht"), ask_data(phone="12", details="Mwen bezwen diri"))

    html = response.content.decode()
    assert (
        gettext_in(
            "ht", "Enter a phone number we can call, like 617-555-0142 or +55 11 91234 5678."
        )
        in html
    )
    assert "Mwen bezwen diri" in html
    assert 'value="12"' in html
    assert not Request.objects.exists()


def test_a_required_field_error_is_in_creole(client, groceries):
    response = client.post(url("ask", "ht"), ask_data(needs=[], language=""))
    html = response.content.decode()
    assert "Chan sa a obligatwa." in html  # Django's own message, from our ht catalog
    assert gettext_in("ht", "Choose at least one thing you need.") in html


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("(617) 555-0142", "+16175550142"),
        ("617.555.0142", "+16175550142"),
        ("+1 617 555 0142", "+16175550142"),
        ("+55 11 91234 5678", "+5511912345678"),
        ("+509 34 12 3456", "+50934123456"),
    ],
)
def test_phone_numbers_are_stored_the_same_way_however_they_are_typed(
    client, groceries, typed, stored
):
    client.post(url("ask"), ask_data(phone=typed))
    assert Neighbor.objects.get().phone == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("details", "milk\x00"),
        ("details", "milk\x07bell"),
        ("name", "Rosa\x1b[31m"),
        ("details", "x" * 2001),
        ("name", "x" * 101),
    ],
)
def test_bad_text_gets_a_clear_error_never_a_crash(client, groceries, field, value):
    response = client.post(url("ask", "ar"), ask_data(**{field: value}))
    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.content.decode()
    assert not Request.objects.exists()
    # The page holds the phone and address just typed: never kept in a cache.
    assert "617-555-0142" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_arabic_and_zero_width_marks_are_welcome(client, groceries):
    details = "نحتاج إلى حليب\u200f للأطفال 👩\u200d👧"
    client.post(url("ask", "ar"), ask_data(details=details, language="ar"))
    assert Request.objects.get().details == details


def test_a_returning_neighbor_who_types_the_same_details_is_one_record(client, groceries):
    client.post(url("ask"), ask_data(phone="617-555-0142"))
    # The same details again, the phone written another way.
    client.post(url("ask"), ask_data(phone="(617) 555 0142"))
    assert Neighbor.objects.count() == 1
    assert Request.objects.count() == 2


def test_what_a_returning_neighbor_types_anew_is_kept_and_nothing_on_file_changes(
    client, groceries, django_capture_on_commit_callbacks
):
    """Someone who knows Rosa's phone number cannot add an email that would then get
    Rosa's messages, nor change who may see her details, nor learn anything about her;
    and Rosa, asking again with a new email and address, loses none of what she typed."""
    existing = make_neighbor(
        name="Rosa", phone="+16175550142", email="", address="", share_with_point_people=False
    )
    make_category("meals", applies_to="needs")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("ask"),
            ask_data(
                phone="617 555 0142",
                email="new@example.org",
                name="Someone else",
                address="12 Moody St, apt 3",
                preferred_contact="email",
                share_with_point_people="yes",
            ),
        )

    existing.refresh_from_db()
    assert (existing.name, existing.email, existing.share_with_point_people) == ("Rosa", "", False)
    assert not existing.requests.exists()
    typed = Request.objects.get().neighbor
    assert (typed.name, typed.email, typed.address, typed.preferred_contact) == (
        "Someone else",
        "new@example.org",
        "12 Moody St, apt 3",
        "email",
    )
    assert typed.share_with_point_people
    # The confirmation goes to the email typed now, and only there.
    assert [email.to for email in mail.outbox] == [["new@example.org"]]
    assert "Rosa" not in client.get(response["Location"]).content.decode()


def test_there_is_no_limit_on_how_often_someone_asks(client, groceries):
    for _ in range(4):
        assert client.post(url("ask"), ask_data()).status_code == 302
    assert Request.objects.count() == 4
    assert Neighbor.objects.count() == 1


def test_the_ask_form_opened_from_a_pod_flyer_has_the_pod_chosen(client, groceries):
    pod = make_pod("Warrendale", slug="warrendale")
    html = client.get(url("ask") + "?pod=warrendale").content.decode()
    assert f'<option value="{pod.pk}" selected>' in html


def test_asking_is_one_transaction_all_or_nothing(
    client, groceries, childcare, fail_the_second_request_event
):
    """If saving the second request fails, the first one and the neighbor are not saved."""
    fail_the_second_request_event()
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.post(url("ask"), ask_data(needs=[groceries.pk, childcare.pk]))
    assert not Request.objects.exists()
    assert not Neighbor.objects.exists()
    assert not Event.objects.exists()


def test_a_wrong_status_link_is_a_translated_404(client, groceries):
    client.post(url("ask"), ask_data())
    response = client.get(url("status", "es", "not-the-token"))
    assert response.status_code == 404
    assert gettext_in("es", "We could not find that page") in response.content.decode()


def test_one_neighbors_link_never_shows_another_neighbors_request(client, groceries):
    client.post(url("ask"), ask_data(phone="617-555-0101", details="Mine"))
    client.post(url("ask"), ask_data(phone="617-555-0102", details="Someone else's"))
    mine, theirs = Request.objects.order_by("pk")

    assert (
        theirs.reference not in client.get(url("status", "en", mine.status_token)).content.decode()
    )
    response = client.post(url("withdraw", "en", mine.status_token, theirs.reference))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.NEW


def test_status_page_shows_the_outcome_and_referral_in_the_neighbors_language(client, groceries):
    from tests.factories import make_resource

    client.post(url("ask", "es"), ask_data(language="es"))
    aid_request = Request.objects.get()
    pantry = make_resource("Despensa de Waltham", phone="781-555-0199")
    aid_request.close(
        RequestStatus.COULD_NOT_HELP,
        by=None,
        note="No hay conductores esta semana.",
        referral=pantry,
    )

    html = client.get(url("status", "es", aid_request.status_token)).content.decode()
    with translation.override("es"):
        assert str(RequestStatus.COULD_NOT_HELP.label) in html
    assert "No hay conductores esta semana." in html
    assert "Despensa de Waltham" in html
    assert "781-555-0199" in html


@pytest.mark.parametrize("how_many", [1, 20])
def test_the_status_page_runs_the_same_queries_for_1_or_20_requests(
    client, groceries, how_many, django_assert_max_num_queries
):
    categories = [make_category(f"need-{n}", applies_to="needs") for n in range(how_many)]
    client.post(url("ask"), ask_data(needs=[c.pk for c in categories]))
    token = Request.objects.first().status_token
    with django_assert_max_num_queries(3):
        assert client.get(url("status", "en", token)).status_code == 200


def test_the_ask_form_reads_its_choices_once_then_only_their_version(
    client, groceries, django_assert_num_queries
):
    for n in range(15):
        make_category(f"need-{n}", applies_to="needs")
        make_pod()
    # The version of pods and categories (tests/settings.py reads it on every visit),
    # then the needs and the pods, read once for the drawing.
    with django_assert_num_queries(3):
        first = client.get(url("ask"))
    # The page is kept (waltham_aid/kept_pages.py): only the version is read.
    with django_assert_num_queries(1):
        again = client.get(url("ask"))
    assert first.status_code == again.status_code == 200
    assert "Need 14" in again.content.decode()


def test_an_empty_message_is_explained_and_nothing_is_sent(client, groceries):
    client.post(url("ask", "es"), ask_data())
    aid_request = Request.objects.get()

    response = client.post(
        url("send_message", "es", aid_request.status_token, aid_request.reference),
        {"text": "   ", "started": form_started(), "homepage": ""},
    )

    assert response.status_code == 400
    assert "Chan sa a" not in response.content.decode()
    assert 'class="invalid-feedback"' in response.content.decode()
    assert not aid_request.events.filter(kind=EventKind.MESSAGE_FROM_NEIGHBOR).exists()


def test_the_arabic_email_keeps_the_phone_number_left_to_right(
    client, groceries, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("ask", "ar"),
            ask_data(needs=[groceries.pk], language="ar", email="rosa@example.org"),
        )
    (email,) = mail.outbox
    html, _type = email.alternatives[0]
    number = f"\u200e{settings.NETWORK_PHONE}\u200e"  # between two left-to-right marks
    assert number in email.body
    assert number in html


def test_someone_typing_only_a_known_phone_number_learns_nothing_of_its_owner(client, groceries):
    """Rosa gave her name and address. Someone types only her phone number: their request
    gets a record of its own, so the volunteer who helps them never sees Rosa's address,
    and cannot write it into a message that the sender would read."""
    rosa = make_neighbor(
        name="Rosa", phone="+16175550142", address="77 Sentinel St", preferred_contact="call"
    )
    client.post(url("ask"), ask_data(name="", address="", best_time=""))
    theirs = Request.objects.get()
    assert theirs.neighbor != rosa
    assert (theirs.neighbor.name, theirs.neighbor.address) == ("", "")


def erase(client, aid_request):
    client.post(url("erase_contact", "en", aid_request.status_token))


def test_whoever_typed_someones_details_cannot_delete_their_record(client, groceries):
    """Rosa asked first. Someone else types exactly her details and joins her record;
    deleting "my" details from their own link takes only their request off it."""
    client.post(url("ask"), ask_data())
    hers = Request.objects.get()
    rosa = hers.neighbor
    client.post(url("ask"), ask_data())
    theirs = Request.objects.exclude(pk=hers.pk).get()
    assert theirs.neighbor == rosa

    erase(client, theirs)

    rosa.refresh_from_db()
    assert (rosa.phone, rosa.contact_erased_at) == ("+16175550142", None)
    assert Request.objects.get(pk=hers.pk).neighbor == rosa
    theirs.refresh_from_db()
    assert theirs.neighbor != rosa
    assert (theirs.neighbor.phone, theirs.neighbor.contact_erased_at is not None) == ("", True)
    assert theirs.events.filter(kind=EventKind.CONTACT_ERASED).exists()
    assert not hers.events.filter(kind=EventKind.CONTACT_ERASED).exists()


def test_the_first_to_give_their_details_deletes_them_whatever_joined_later(client, groceries):
    client.post(url("ask"), ask_data())
    hers = Request.objects.get()
    client.post(url("ask"), ask_data())  # the same details again, from another link

    erase(client, hers)

    assert Neighbor.objects.count() == 1
    rosa = Neighbor.objects.get()
    assert (rosa.name, rosa.phone, rosa.address) == ("", "", "")
    assert rosa.contact_erased_at is not None
    assert Request.objects.filter(neighbor=rosa).count() == 2


def test_a_long_pasted_text_is_never_cut_off_by_the_page(client, groceries):
    """A browser cuts pasted text at a field's maxlength without a word; there is none,
    and a text too long comes back whole with the reason, in the neighbor's language."""
    assert "maxlength" not in client.get(url("ask", "es")).content.decode()
    pasted = "Arroz y leche. " * 160  # 2,400 characters
    response = client.post(url("ask", "es"), ask_data(details=pasted, language="es"))
    html = response.content.decode()
    assert response.status_code == 200
    assert pasted.strip() in html
    assert "menos de 2000 caracteres" in html  # the limit, said in Spanish by the field
    assert not Request.objects.exists()


def test_the_first_link_ends_every_offer_on_the_record_it_deletes(client, groceries):
    client.post(url("ask"), ask_data())
    hers = Request.objects.get()
    offer = make_offer(neighbor=hers.neighbor, category=groceries)  # joined from an offer link

    erase(client, hers)

    offer.refresh_from_db()
    assert offer.status == "finished"


def test_a_link_whose_requests_sit_on_two_records_deletes_the_details_on_both(client, groceries):
    client.post(url("ask"), ask_data(needs=[groceries.pk, make_category("meals").pk]))
    first, second = Request.objects.order_by("pk")
    # A coordinator moved one of them to another record of the same person.
    elsewhere = make_neighbor(name="Rosa", phone="+16175550142", address="Moody St")
    Request.objects.filter(pk=second.pk).update(neighbor=elsewhere)

    erase(client, first)

    for aid_request in (first, second):
        aid_request.refresh_from_db()
        assert aid_request.neighbor.contact_erased_at is not None
        assert aid_request.neighbor.phone == ""


def test_an_email_subject_shows_the_networks_name_as_written(
    client, groceries, settings, django_capture_on_commit_callbacks
):
    settings.NETWORK_NAME = "Moody St Neighbors' Aid & Care"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("ask"), ask_data(email="rosa@example.org"))
    (email,) = mail.outbox
    assert email.subject == "Moody St Neighbors' Aid & Care: we got your request"


@pytest.mark.django_db(transaction=True)
def test_rosa_is_told_the_confirmation_went_to_her_email(client, groceries):
    response = client.post(url("ask", "es"), ask_data(email="rosa@example.org"), follow=True)

    assert response.redirect_chain[-1][0].endswith("?emailed=1")
    assert gettext_in("es", "We also sent this to your email.") in response.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_when_the_email_cannot_go_out_rosa_is_told_to_keep_her_link(client, groceries, settings):
    # A real SMTP connection to a port where nothing listens: refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    response = client.post(url("ask", "es"), ask_data(email="rosa@example.org"), follow=True)

    html = response.content.decode()
    assert gettext_in("es", "We also sent this to your email.") not in html
    assert (
        gettext_in(
            "es",
            "We could not send the email just now. Keep the link to your status page above: it is how you follow your request.",
        )
        in html
    )
    assert Request.objects.count() == 1
