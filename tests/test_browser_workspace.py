"""A volunteer's evening, in Chromium: from signing in to telling a neighbor it is done."""

import pytest
from django.utils import translation

from requests_app.models import RequestStatus
from tests.factories import make_category, make_neighbor, make_pod, make_request, make_volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_volunteer_claims_a_kreyol_request_and_the_neighbor_sees_it_done(
    browser_page, live_server
):
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    ben = make_volunteer("Ben", pods=[pod], languages=["en", "ht"])
    ben.user.set_password("a long volunteer password")
    ben.user.save()
    rides = make_category("rides-to-appointments", name="Rides")
    jean = make_neighbor(name="Jean", phone="+16175550177", email="", language="ht")
    aid_request = make_request(
        neighbor=jean, category=rides, language="ht", details="Randevou doktè mèkredi"
    )
    aid_request.triage(by=None, pod=pod, urgency=2)
    make_request(language="es", details="Otra cosa").triage(by=None, pod=pod, urgency=2)
    page = browser_page

    page.goto(f"{live_server.url}/en/accounts/login/")
    page.fill('input[name="username"]', ben.user.username)
    page.fill('input[name="password"]', "a long volunteer password")
    page.locator('button[type="submit"]').click()
    page.wait_for_url(f"{live_server.url}/en/work/")

    page.select_option('select[name="language"]', "ht")
    page.get_by_role("button", name="Filter").click()
    assert "Otra cosa" not in page.content()
    page.get_by_role("link", name="Rides").click()
    page.get_by_role("button", name="Claim").click()
    assert "You took this request" in page.content()

    page.get_by_role("link", name="Show contact details").click()
    assert "+16175550177" in page.content()
    page.go_back()

    page.locator("summary", has_text="Message to the neighbor").click()
    page.fill('form[action$="/message/"] textarea[name="text"]', "M ap vin chèche w a 9è.")
    page.locator('form[action$="/message/"] button').click()
    assert "This neighbor has no email" in page.content()

    page.locator("summary", has_text="Close with an outcome").click()
    page.locator('input[name="outcome"][value="fulfilled"]').check()
    page.locator('form[action$="/close/"] button').click()
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.FULFILLED

    page.goto(f"{live_server.url}/ht/status/{aid_request.status_token}/")
    with translation.override("ht"):
        fulfilled = str(RequestStatus.FULFILLED.label)
        said = str(aid_request.status_for_neighbor)
    assert fulfilled != "Fulfilled"
    assert fulfilled in page.content()
    assert said in page.content()
    assert "M ap vin chèche w a 9è." in page.content()
    assert page.request_log.elsewhere == []
