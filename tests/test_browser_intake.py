"""A neighbor on an old phone, with JavaScript off, asks for help in Arabic."""

import pytest

from requests_app.models import Request
from tests.factories import make_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_without_javascript(browser):
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_arabic_neighbor_on_a_320px_phone_fixes_a_phone_number_and_is_heard(
    phone_without_javascript, live_server, settings
):
    settings.FORM_MIN_SECONDS = 1
    groceries = make_category("groceries", name="Groceries", name_ar="البقالة", applies_to="needs")
    page = phone_without_javascript
    page.goto(f"{live_server.url}/ar/ask/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert no_sideways_scroll(page)

    page.locator(f'input[name="needs"][value="{groceries.pk}"]').check()
    page.fill('textarea[name="details"]', "حليب وخبز من فضلك")
    page.fill('input[name="name"]', "سميرة")
    page.fill('input[name="phone"]', "123")
    page.wait_for_timeout(1100)
    page.locator('button[type="submit"]').click()

    # Sent back: the mistake is marked, everything typed is still there, nothing saved.
    assert page.locator('input[name="phone"].is-invalid').count() == 1
    assert page.input_value('textarea[name="details"]') == "حليب وخبز من فضلك"
    assert page.input_value('input[name="name"]') == "سميرة"
    assert page.locator(f'input[name="needs"][value="{groceries.pk}"]').is_checked()
    assert no_sideways_scroll(page)
    assert not Request.objects.exists()

    page.fill('input[name="phone"]', "617-555-0142")
    page.wait_for_timeout(1100)
    page.locator('button[type="submit"]').click()

    aid_request = Request.objects.get()
    assert aid_request.details == "حليب وخبز من فضلك"
    assert aid_request.language == "ar"
    assert aid_request.reference in page.content()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert no_sideways_scroll(page)
