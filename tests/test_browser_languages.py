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
