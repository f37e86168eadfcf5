"""A request's labels (status, how soon, language) are looked up in a table made once
per field (requests_app.localized.ChoiceLabels), and still shown in each reader's
language: the table keeps the translatable label, never the first reader's words."""

from django.utils import translation

from requests_app.models import Event, EventKind, Request, RequestStatus, Urgency


def test_the_same_request_reads_in_each_readers_language():
    aid_request = Request(status=RequestStatus.OPEN, urgency=Urgency.TODAY, language="ht")
    shown = {}
    for code in ("en", "es", "ar"):
        with translation.override(code):
            shown[code] = (
                aid_request.get_status_display(),
                aid_request.get_urgency_display(),
            )
            assert shown[code] == (str(RequestStatus.OPEN.label), str(Urgency.TODAY.label))
    assert shown["en"] == ("Open", "Today")
    assert len({shown["en"], shown["es"], shown["ar"]}) == 3
    assert aid_request.get_language_display() == "Kreyòl ayisyen"


def test_a_value_without_a_label_is_shown_as_it_is_stored():
    assert Request(status="lost").get_status_display() == "lost"
    assert Event(kind=EventKind.CLAIMED).get_kind_display() == str(EventKind.CLAIMED.label)
