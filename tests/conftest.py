import pytest
from django.utils import translation
from playwright.sync_api import sync_playwright

from tests.factories import make_pod, make_user, make_volunteer, sign_in

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def english_until_a_page_says_otherwise():
    """The test client's requests switch the thread's language (LocaleMiddleware) and
    never switch it back; start every test from English."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def pod(db):
    return make_pod("Prospect Hill", slug="prospect-hill")


@pytest.fixture
def volunteer(pod):
    return make_volunteer("Ana", pods=[pod])


@pytest.fixture
def volunteer_client(client, volunteer):
    sign_in(client, volunteer.user)
    return client


# --- Browser: real headless Chromium (Debian's), driven by Playwright -------------------


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class RequestLog:
    """Every URL the page asked for, so a test can prove nothing left the live server."""

    def __init__(self, live_server_url):
        self.origin = live_server_url
        self.urls = []

    def record(self, request):
        self.urls.append(request.url)

    @property
    def elsewhere(self):
        return [
            url
            for url in self.urls
            if not url.startswith(self.origin) and not url.startswith("data:")
        ]


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh browser context per test, phone-sized, that records every request made."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(5000)
    page = context.new_page()
    page.request_log = RequestLog(live_server.url)
    page.on("request", page.request_log.record)
    yield page
    context.close()


@pytest.fixture
def point_person(pod):
    person = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    pod.point_people.add(person)
    return person


@pytest.fixture
def coordinator(db):
    return make_volunteer("Maria", groups=["Coordinator"], languages=["en", "es"])


@pytest.fixture
def coordinator_login(db):
    """A coordinator's admin login: staff, in the Coordinator group."""
    return make_user("maria", groups=["Coordinator"], is_staff=True)


@pytest.fixture
def coordinator_client(client, coordinator_login):
    """The test client signed in to the admin as a coordinator, second step passed."""
    return sign_in(client, coordinator_login)


@pytest.fixture
def fail_the_second_request_event(monkeypatch):
    """Call it, and the second request timeline event saved after that cannot be saved
    (a disk full): what writes several rows shows it is all or nothing."""
    from requests_app.models import Request

    def arm():
        calls = []
        original = Request.record

        def fail_on_second(self, *args, **kwargs):
            calls.append(self)
            if len(calls) == 2:
                raise RuntimeError("disk full")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Request, "record", fail_on_second)

    return arm
