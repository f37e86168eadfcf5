"""In a real browser: direction, switching language, and nothing fetched from elsewhere."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_arabic_home_page_reads_right_to_left(browser_page, live_server):
    browser_page.goto(f"{live_server.url}/ar/")
    assert browser_page.locator("html").get_attribute("dir") == "rtl"
    assert browser_page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    header = browser_page.locator(".site-header").bounding_box()
    brand = browser_page.locator(".brand").bounding_box()
    # The network's name starts on the right in Arabic.
    assert brand["x"] + brand["width"] > header["x"] + header["width"] / 2


def test_a_neighbor_switches_from_english_to_kreyol(browser_page, live_server):
    browser_page.goto(f"{live_server.url}/en/")
    browser_page.get_by_role("link", name="Kreyòl ayisyen").click()
    browser_page.wait_for_url(f"{live_server.url}/ht/")
    assert browser_page.locator("html").get_attribute("lang") == "ht"
    assert "Neighbors helping neighbors" not in browser_page.content()


def test_the_home_page_asks_nothing_of_any_other_host(browser_page, live_server):
    for code in ["en", "zh-hans", "ar"]:
        browser_page.goto(f"{live_server.url}/{code}/")
        browser_page.wait_for_load_state("networkidle")
    assert len(browser_page.request_log.urls) >= 6  # the pages and their stylesheet
    assert browser_page.request_log.elsewhere == []


def test_the_home_page_fits_a_320_pixel_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=True)
    page = context.new_page()
    for code in ["en", "ar", "pt-br"]:
        page.goto(f"{live_server.url}/{code}/")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 320, code
    context.close()


def test_phone_numbers_read_left_to_right_on_arabic_pages(browser_page, live_server, settings):
    browser_page.goto(f"{live_server.url}/ar/")
    number = browser_page.locator("footer a[href^='tel:']")
    assert number.inner_text() == settings.NETWORK_PHONE
    # Drawn in the order it is written, on one line, first character on the left (right
    # to left, (781) 555-0100 reads 0100-555 (781)).
    first, last = browser_page.evaluate(
        """(link) => {
            const text = link.firstChild, box = (at) => {
                const range = document.createRange();
                range.setStart(text, at);
                range.setEnd(text, at + 1);
                const rect = range.getBoundingClientRect();
                return [Math.round(rect.y), rect.x];
            };
            return [box(0), box(text.textContent.length - 1)];
        }""",
        number.element_handle(),
    )
    assert first[0] == last[0]  # one line: a number is never broken in two
    assert first[1] < last[1]
