"""Language justice, proven in a browser: a crawler walks every public page and every
volunteer page in each language, starting from the home page and the workspace (not a
hand-kept list), and fails on a wrong lang/dir, English left on a non-English page, a
page that scrolls sideways at 320 px, or Arabic laid out left to right."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings

from requests_app.models import Request
from tests.factories import load_demo_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NOT_CRAWLED = ("/admin/", "/accounts/logout/", "/accounts/reset/", "/coordinators/")
PAGES_PER_CRAWL = 40
# Names that are the same in every language: the languages' own names, the network's.
SAME_EVERYWHERE = {name for _code, name in settings.LANGUAGES} | {settings.NETWORK_NAME, "WhatsApp"}

VISIBLE_TEXT = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    if (!element || element.closest('[translate="no"], script, style')) continue;
    // Choices that are data (pods, volunteers, resources) carry their database id.
    if (element.closest('option') && /^[0-9]+$/.test(element.closest('option').value)) continue;
    const check = element.closest('.form-check');
    if (check && /^[0-9]+$/.test((check.querySelector('input') || {}).value || '')) continue;
    const text = walker.currentNode.textContent.replace(/\\s+/g, ' ').trim();
    if (/[A-Za-z]{3,}/.test(text)) texts.push(text);
  }
  for (const element of document.querySelectorAll('[aria-label], [title], input[type=submit]')) {
    if (element.closest('[translate="no"]')) continue;
    for (const text of [element.getAttribute('aria-label'), element.getAttribute('title'), element.value]) {
      if (text && /[A-Za-z]{3,}/.test(text)) texts.push(text.trim());
    }
  }
  return texts;
}"""


def crawl(page, origin, code, seeds):
    """Visit pages reachable from `seeds` by links, within this language's prefix."""
    queue, seen, visited = list(seeds), set(seeds), []
    while queue and len(visited) < PAGES_PER_CRAWL:
        path = queue.pop(0)
        response = page.goto(origin + path)
        assert response.status == 200, f"{path} answered {response.status}"
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            target = parts.path
            if (
                f"{parts.scheme}://{parts.netloc}" == origin
                and target.startswith(f"/{code}/")
                and not any(skip in target for skip in NOT_CRAWLED)
                and target not in seen
            ):
                seen.add(target)
                queue.append(target)
        yield path  # the caller may navigate away (to the English page) before we go on


def english_texts(page, origin, path, code, cache):
    english = path.replace(f"/{code}/", "/en/", 1)
    if english not in cache:
        page.goto(origin + english)
        cache[english] = set(page.evaluate(VISIBLE_TEXT))
    return cache[english]


def check_page(page, origin, path, code, english_cache, problems):
    html = page.locator("html")
    expected_dir = "rtl" if code in settings.LANGUAGES_BIDI else "ltr"
    if html.get_attribute("lang") != code or html.get_attribute("dir") != expected_dir:
        problems.append(
            f"{path}: <html lang={html.get_attribute('lang')} dir={html.get_attribute('dir')}>"
        )
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append(f"{path}: scrolls sideways at 320 px")
    if code == "ar" and page.evaluate("getComputedStyle(document.body).direction") != "rtl":
        problems.append(f"{path}: Arabic laid out left to right")
    if code != "en":
        texts = set(page.evaluate(VISIBLE_TEXT))
        english = english_texts(page, origin, path, code, english_cache)
        for text in sorted(texts & english - SAME_EVERYWHERE):
            problems.append(f"{path}: English left: {text!r}")


@pytest.fixture
def network(db):
    load_demo_network()
    return Request.objects.filter(neighbor__email="rosa@example.org").first().status_token


def sign_in(page, origin):
    page.goto(f"{origin}/en/accounts/login/")
    page.fill('input[name="username"]', "pointperson")
    page.fill('input[name="password"]', "waltham-demo")
    page.locator('button[type="submit"]').click()


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_page_speaks_the_language_it_says(browser, live_server, network, code):
    origin = live_server.url
    problems = []
    for signed_in, seeds in [
        (False, [f"/{code}/", f"/{code}/status/{network}/"]),
        (True, [f"/{code}/work/", f"/{code}/work/mine/"]),
    ]:
        context = browser.new_context(viewport={"width": 320, "height": 640})
        context.set_default_timeout(5000)
        page = context.new_page()
        if signed_in:
            sign_in(page, origin)
        english_cache = {}
        crawled = 0
        for path in crawl(page, origin, code, seeds):
            crawled += 1
            check_page(page, origin, path, code, english_cache, problems)
        context.close()
        assert crawled >= (5 if not signed_in else 8), f"the crawler found only {crawled} pages"
    assert not problems, "\n".join(problems)
