"""Row links made from one reverse() per page are the paths reverse() would give."""

from django.urls import reverse
from django.utils import translation

from volunteers.links import link_rows


class Row:
    def __init__(self, reference):
        self.reference = reference


def test_each_row_gets_the_path_reverse_would_give_in_the_readers_language():
    rows = [Row("K7QX-2M"), Row("ABCD-23")]
    with translation.override("ar"):
        link_rows(rows, link="volunteers:request", claim_link="volunteers:claim")
        for row in rows:
            assert row.link == reverse("volunteers:request", args=[row.reference])
            assert row.claim_link == reverse("volunteers:claim", args=[row.reference])
    assert rows[0].link.startswith("/ar/")


def test_a_reference_that_is_not_plain_letters_and_digits_is_reversed_on_its_own():
    rows = [Row("a b?c"), Row("REFERENCE")]
    link_rows(rows, link="volunteers:request")
    assert rows[0].link == reverse("volunteers:request", args=["a b?c"])
    assert "a%20b" in rows[0].link
    assert rows[1].link == reverse("volunteers:request", args=["REFERENCE"])
