"""Every public page, in every language, as a neighbor on an old phone gets it, in Chromium:
axe-core finds nothing serious or critical, nothing is fetched from anywhere but this
site, the whole page with its stylesheet is at most 30 KB on the wire, and it works with
JavaScript turned off, down to sending the ask form.

Bytes are counted per page with the browser's cache off: for every response the page
loaded (the HTML and everything it pulled in), its headers as received plus its body
gzipped in Python. The test server does not compress; in production whitenoise serves
the stylesheet gzipped and the proxy in front gzips the HTML, so this is what a phone
receives.
"""

import gzip
import secrets
from pathlib import Path

import pytest
from django.conf import settings

from requests_app.models import Offer, Request, RequestStatus
from tests.conftest import RequestLog
from tests.factories import load_demo_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
AXE = Path(settings.BASE_DIR) / ".cache/npm/node_modules/axe-core/axe.min.js"
BUDGET_BYTES = 30 * 1024
# A form a neighbor sends without JavaScript: posted by a plain submit button.
POST_FORM = "form[method=post] button:not([type=button])"

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations
    .filter((violation) => ['serious', 'critical'].includes(violation.impact))
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary}`),
    }));
}"""


@pytest.fixture
def network(db):
    load_demo_network()
    return {
        "claimed": Request.objects.get(status=RequestStatus.CLAIMED),
        "closed": Request.objects.filter(status=RequestStatus.COULD_NOT_HELP).first(),
        "offer": Offer.objects.first(),
    }


@pytest.fixture
def new_context(browser):
    """Phone-sized browser contexts, all closed after the test even when it fails, so no
    open connection keeps the live server's threads (and the test database) busy."""
    contexts = []

    def new(**options):
        context = browser.new_context(viewport={"width": 390, "height": 844}, **options)
        context.set_default_timeout(10000)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


def public_pages(network, code):
    """(path, a selector the page must have even without JavaScript)."""
    claimed, closed = network["claimed"], network["closed"]
    return [
        (f"/{code}/", ".choices a"),
        (f"/{code}/ask/", POST_FORM),
        (f"/{code}/asked/{claimed.status_token}/", ".reference"),
        (f"/{code}/status/{claimed.status_token}/", POST_FORM),
        (f"/{code}/status/{closed.status_token}/", ".status"),
        (f"/{code}/status/{closed.status_token}/ask/", POST_FORM),
        (f"/{code}/offer/", POST_FORM),
        (f"/{code}/offer/{network['offer'].token}/", POST_FORM),
        (f"/{code}/offer/{network['offer'].token}/more/", POST_FORM),
        (f"/{code}/volunteer/", POST_FORM),
        (f"/{code}/resources/", "main h1"),
        (f"/{code}/privacy/", "main h1"),
        (f"/{code}/accounts/login/", POST_FORM),
    ]


def axe_context(new_context):
    assert AXE.exists(), f"{AXE} is missing: run .ci/npm-deps (make test does)"
    # Only here, and only so the injected axe-core may run: the policy itself is proven
    # in tests/test_browser_security.py.
    context = new_context(bypass_csp=True)
    # axe.min.js handed to every page of the context as it opens (an init script sent
    # once, not a request the page makes, and quicker than injecting it page by page).
    context.add_init_script(path=AXE)
    # A route on every URL turns the browser's cache off: each page is counted in full.
    context.route("**/*", lambda route: route.continue_())
    return context


def axe_violations(page, label):
    return [
        f"{label}: {violation['impact']} {violation['rule']} ({violation['help']})\n  "
        + "\n  ".join(violation["nodes"])
        for violation in page.evaluate(RUN_AXE)
    ]


def bytes_on_the_wire(responses):
    total = 0
    for response in responses:
        total += response.request.sizes()["responseHeadersSize"]
        if not 300 <= response.status < 400:
            total += len(gzip.compress(response.body()))
    return total


def test_the_gate_sees_an_inaccessible_page_a_heavy_one_and_a_foreign_request(
    new_context, live_server
):
    page = axe_context(new_context).new_page()
    log = RequestLog(live_server.url)
    page.on("request", log.record)
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.route(
        f"{live_server.url}/en/planted/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>Planted</title><main>'
            '<img src="https://elsewhere.invalid/x.png"><input name="phone">'
            f"<p>{secrets.token_urlsafe(40_000)}</p></main></html>",
        ),
    )
    page.goto(f"{live_server.url}/en/planted/")

    found = "\n".join(axe_violations(page, "planted"))
    assert "critical image-alt" in found
    assert "critical label" in found
    assert bytes_on_the_wire(responses) > BUDGET_BYTES  # random text does not gzip away
    assert log.elsewhere == ["https://elsewhere.invalid/x.png"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_public_pages_are_accessible_light_and_fetch_nothing_from_elsewhere(
    new_context, live_server, network, code
):
    context = axe_context(new_context)
    page = context.new_page()
    log = RequestLog(live_server.url)
    page.on("request", log.record)
    responses = []
    page.on("response", lambda response: responses.append(response))
    problems = []
    for path, _selector in public_pages(network, code):
        responses.clear()
        response = page.goto(live_server.url + path)
        if response.status != 200:
            problems.append(f"{path}: answered {response.status}")
        size = bytes_on_the_wire(responses)
        if size > BUDGET_BYTES:
            problems.append(f"{path}: {size} bytes transferred, more than {BUDGET_BYTES}")
        problems += axe_violations(page, f"{path} [{code}]")

    assert log.urls, "the browser recorded no requests at all"
    assert log.elsewhere == []
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", LANGUAGES)
def test_public_pages_work_without_javascript_down_to_sending_a_request(
    new_context, live_server, network, code, settings
):
    # The robot check's minimum time: a test types faster than a person.
    settings.FORM_MIN_SECONDS = 0
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    log = RequestLog(live_server.url)
    page.on("request", log.record)
    for path, selector in public_pages(network, code):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator(selector).count() >= 1, f"{path}: no {selector} without JavaScript"

    page.goto(f"{live_server.url}/{code}/ask/")
    page.locator('input[name="needs"]').first.check()
    page.fill('textarea[name="details"]', "Arroz y leche")
    page.fill('input[name="phone"]', "617-555-0199")
    with page.expect_navigation():
        page.locator(POST_FORM).click()

    assert f"/{code}/asked/" in page.url
    assert page.locator("html").get_attribute("lang") == code
    aid_request = Request.objects.get(neighbor__phone="+16175550199")
    assert (aid_request.details, aid_request.language) == ("Arroz y leche", code)
    assert log.elsewhere == []
