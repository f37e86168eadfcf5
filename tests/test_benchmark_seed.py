"""`make bench` seeds PostgreSQL with COPY, column by column (the model's default for
every column it does not name, and a refusal for a required one): a small network is
seeded here on every run, so a model change that the seed no longer fits stops `make
test`, not a benchmark hours later."""

import io

import pytest
from django.core.management import call_command

from requests_app.models import Event, Neighbor, Offer, Request
from requests_app.services import erase_what_a_link_gave

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_small_network_seeds_with_every_constraint_kept_and_works():
    call_command("seed_network_scale", scale=0.002, stdout=io.StringIO())

    assert Neighbor.objects.count() == 40
    assert Request.objects.count() == 200
    assert Offer.objects.exists()
    assert Event.objects.exists()
    # A seeded neighbor's link deletes their record, as a real one's would.
    made = (
        Request.objects.filter(neighbor__contact_erased_at=None, neighbor__offers=None)
        .order_by("created_at")
        .first()
    )
    erase_what_a_link_gave(status_token=made.status_token)
    assert Neighbor.objects.get(pk=made.neighbor_id).contact_erased_at is not None
