"""A resource's website is a link on a public page: only ever a web address."""

import pytest
from django.contrib.admin import site
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from requests_app.models import Resource
from tests.factories import make_user, sign_in

NOT_WEB_ADDRESSES = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://files.example.org/menu.pdf",
]


@pytest.mark.django_db
@pytest.mark.parametrize("website", NOT_WEB_ADDRESSES)
def test_a_link_that_is_not_a_web_address_cannot_be_stored_any_way(website):
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(name="Pantry", website=website)


@pytest.mark.django_db
@pytest.mark.parametrize("website", NOT_WEB_ADDRESSES)
def test_a_coordinator_is_told_the_link_is_not_valid_and_keeps_what_they_typed(client, website):
    sign_in(client, make_user("maria", groups=["Coordinator"], is_staff=True))
    with translation.override("es"):
        url = reverse("admin:requests_app_resource_add")
        message = translation.gettext("Enter a valid URL.")

    response = client.post(url, {"name_en": "Despensa", "website": website, "active": "on"})

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Despensa" in html
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_web_addresses_are_kept_and_shown_as_links(client):
    Resource.objects.create(name="Fridge", website="https://fridge.example.org/hours")
    Resource.objects.create(name="Pantry", website="HTTP://pantry.example.org")
    html = client.get(reverse("requests_app:resources")).content.decode()
    assert 'href="https://fridge.example.org/hours"' in html
    assert 'href="HTTP://pantry.example.org"' in html


@pytest.mark.django_db(transaction=True)
def test_upgrading_empties_links_that_were_not_web_addresses_and_keeps_the_rest():
    before = [("requests_app", "0014_admin_lists_paged_by_cursor")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    OldResource = old.get_model("requests_app", "Resource")
    bad = OldResource.objects.create(name="Bad", website="javascript:alert(1)")
    good = OldResource.objects.create(name="Good", website="https://pantry.example.org")

    MigrationExecutor(connection).migrate(latest)

    assert list(Resource.objects.order_by("pk").values_list("pk", "website")) == [
        (bad.pk, ""),
        (good.pk, "https://pantry.example.org"),
    ]
    assert site.is_registered(Resource)
