"""Nothing runs or loads that we did not serve: every page, public, workspace and admin,
opened in Chromium under the Content-Security-Policy, with every violation recorded; and
the security headers as the browser receives them."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.models import Offer, Repeat, Request, RequestStatus
from tests.factories import load_demo_network, sign_in
from volunteers.models import Volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Runs in every document before anything else: a blocked inline style, inline script or
# foreign URL fires `securitypolicyviolation`, which bubbles up to the document.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || '(no URI)'}` +
    (event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : '') +
    (event.sample ? ` sample: ${event.sample}` : '')
  );
});
"""
# Violations are reported in a task after the one that caused them: let one run first.
READ_VIOLATIONS = "() => new Promise((done) => setTimeout(() => done(window.__cspViolations), 0))"


def directives(policy):
    """A policy's directives, in whatever order the header lists them."""
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def session_for(who, *, second_step=True):
    """A signed-in session made by the test client (coordinators' second step included,
    unless a test stops before it), handed to the browser as its cookie."""
    client = Client()
    if second_step:
        sign_in(client, who)
    else:
        client.force_login(who.user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Walker:
    """One browser context per person; opens pages and keeps what was wrong with them."""

    def __init__(self, browser, origin, who=None, *, second_step=True):
        self.origin = origin
        self.context = browser.new_context(viewport={"width": 390, "height": 844})
        self.context.set_default_timeout(10000)
        self.context.add_init_script(RECORD_VIOLATIONS)
        if who is not None:
            self.context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session_for(who, second_step=second_step),
                        "url": origin,
                    }
                ]
            )
        self.page = self.context.new_page()
        self.console = []
        self.page.on("console", self._console)
        self.problems = []
        self.headers = {}
        self.visited = []

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def open(self, path, status=200):
        self.console.clear()
        response = self.page.goto(self.origin + path)
        return self.check(path, response, status)

    def check(self, label, response, status=200):
        if response.status != status:
            self.problems.append(f"{label}: answered {response.status}, not {status}")
        self.headers[label] = response.all_headers()
        for violation in self.page.evaluate(READ_VIOLATIONS):
            self.problems.append(f"{label}: {violation}")
        for text in self.console:
            self.problems.append(f"{label}: console: {text}")
        self.console.clear()
        self.visited.append(label)
        return response


@pytest.fixture
def walker_for(browser, live_server):
    """Walkers whose browser contexts are all closed after the test, even when it fails,
    so no open connection keeps the live server's threads (and the database) busy."""
    walkers = []

    def new_walker(who=None, **options):
        walkers.append(Walker(browser, live_server.url, who, **options))
        return walkers[-1]

    yield new_walker
    for walker in walkers:
        walker.context.close()


@pytest.fixture
def network(db):
    load_demo_network()
    volunteers = {
        username: Volunteer.objects.get(user__username=username)
        for username in ["volunteer1", "pointperson", "coordinator"]
    }
    claimed = Request.objects.get(status=RequestStatus.CLAIMED)
    claimed.set_repeat(Repeat.WEEKLY, first_date=timezone.localdate() + timedelta(days=1), by=None)
    claimed.neighbor.address = "77 Sentinel St"
    claimed.neighbor.save(update_fields=["address"])
    new = Request.objects.filter(status=RequestStatus.NEW, pod__slug="prospect-hill").first()
    closed = Request.objects.filter(status=RequestStatus.COULD_NOT_HELP).first()
    # A request a coordinator took by phone: the page that reads out its status link.
    taken = Request.objects.filter(status=RequestStatus.OPEN).first()
    taken.entered_by = volunteers["coordinator"].user
    taken.save(update_fields=["entered_by"])
    superuser = User.objects.create_superuser("root", "root@example.org", "pw")
    return {
        **volunteers,
        "claimed": claimed,
        "new": new,
        "closed": closed,
        "taken": taken,
        "offer": Offer.objects.first(),
        "superuser": superuser,
    }


def public_pages(network):
    claimed, offer = network["claimed"], network["offer"]
    user = network["volunteer1"].user
    reset = (urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user))
    return [
        ("/en/", 200),
        ("/en/ask/", 200),
        (f"/en/asked/{claimed.status_token}/", 200),
        (f"/en/status/{claimed.status_token}/", 200),
        (f"/en/status/{claimed.status_token}/{claimed.reference}/withdraw/", 200),
        (f"/en/status/{claimed.status_token}/erase/", 200),
        ("/en/offer/", 200),
        (f"/en/offer/{offer.token}/", 200),
        ("/en/volunteer/", 200),
        ("/en/volunteer/thanks/", 200),
        ("/en/resources/", 200),
        ("/ar/resources/", 200),
        ("/en/privacy/", 200),
        ("/ar/privacy/", 200),
        ("/en/no-such-page/", 404),
        ("/en/accounts/login/", 200),
        ("/en/accounts/password-reset/", 200),
        ("/en/accounts/password-reset/sent/", 200),
        # The link in the email redirects to a page that hides the token in the session.
        (f"/en/accounts/reset/{reset[0]}/{reset[1]}/", 200),
        ("/en/accounts/reset/done/", 200),
        ("/en/admin/login/", 200),
    ]


def workspace_pages(network, username):
    claimed, new, closed = network["claimed"], network["new"], network["closed"]
    pages = [
        "/en/work/",
        "/en/work/?unclaimed=on&language=ht",
        "/en/work/mine/",
        "/en/work/take/",
        f"/en/work/requests/{claimed.reference}/",
        f"/en/work/requests/{claimed.reference}/contact/",
        f"/en/work/requests/{claimed.reference}/rota/",
        f"/en/work/offers/{network['offer'].reference}/",
        "/ar/work/",
        f"/ar/work/requests/{claimed.reference}/",
    ]
    if username in {"pointperson", "coordinator"}:
        pages += [f"/en/work/requests/{new.reference}/", f"/en/work/requests/{closed.reference}/"]
    if username == "coordinator":
        pages += [
            f"/en/work/take/{network['taken'].status_token}/",
            "/en/coordinators/flyers/",
            "/en/coordinators/flyers/?pod=prospect-hill&lang=en&lang=ar",
            "/en/coordinators/reports/",
            "/ar/coordinators/reports/",
            # The admin as a coordinator sees it (every model, as a superuser, below).
            "/en/admin/",
            "/en/admin/requests_app/request/",
            f"/en/admin/requests_app/request/{claimed.pk}/change/",
            f"/en/admin/requests_app/neighbor/{claimed.neighbor.pk}/change/",
            "/en/admin/volunteers/volunteer/?approval=pending",
        ]
    return pages


def admin_pages(superuser):
    """The index, and for every registered model its list, its add form and the change
    form of one of its rows; the history and delete confirmation pages (stock templates,
    the same for every model) of a request."""
    request = RequestFactory().get("/")
    request.user = superuser
    pages = ["/en/admin/", "/en/admin/password_change/"]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(request):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"no {model._meta.label} to open in the admin"
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
    aid_request = Request.objects.order_by("pk").first()
    pages += [
        reverse("admin:requests_app_request_history", args=[aid_request.pk]),
        reverse("admin:requests_app_request_delete", args=[aid_request.pk]),
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        reverse("admin:requests_app_request_changelist") + "?status__exact=new",
    ]
    return pages


def bulk_action_pages(walker):
    """The confirmation pages of the admin's bulk actions, reached as a coordinator
    reaches them: tick rows, choose the action, press Go. Joining two neighbor records
    goes on to its end: choose the one to keep, press the button."""
    page = walker.page
    for path, action, rows in [
        ("/en/admin/requests_app/request/", "assign_pod", 1),
        ("/en/admin/requests_app/request/", "close_as_duplicate", 1),
        ("/en/admin/requests_app/neighbor/", "merge_records", 2),
    ]:
        walker.open(path)
        for row in range(rows):
            page.locator("input.action-select").nth(row).check()
        page.select_option('select[name="action"]', action)
        with page.expect_navigation() as navigation:
            page.locator('button[name="index"]').click()
        walker.check(f"admin bulk action {action}", navigation.value)
    page.locator('input[name="keep"]').first.check()
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Join into the record chosen").click()
    walker.check("admin neighbor records joined", navigation.value)
    assert "1 record joined into Neighbor #" in page.content()


def test_no_page_breaks_the_content_security_policy(walker_for, live_server, network):
    problems, visited = [], []
    walks = [
        (None, lambda: public_pages(network)),
        *(
            (network[name], lambda name=name: [(p, 200) for p in workspace_pages(network, name)])
            for name in ["volunteer1", "pointperson", "coordinator"]
        ),
        # Listed once signed in: signing in gives the admin's device list its first row.
        (network["superuser"], lambda: [(p, 200) for p in admin_pages(network["superuser"])]),
    ]
    for who, pages in walks:
        walker = walker_for(who)
        for path, status in pages():
            walker.open(path, status)
        if who == network["superuser"]:
            bulk_action_pages(walker)
        problems += walker.problems
        visited += walker.visited

    # A coordinator between their password and their code: setting up the app (a QR code
    # drawn as inline SVG), then typing the code.
    walker = walker_for(network["coordinator"], second_step=False)
    walker.open("/en/accounts/two-step/")
    TOTPDevice.objects.filter(user=network["coordinator"].user).update(confirmed=True)
    walker.open("/ar/accounts/two-step/")
    problems += walker.problems
    visited += walker.visited

    assert len(visited) >= 100, visited
    assert not problems, "\n".join(problems)


def test_the_recorder_catches_inline_style_inline_script_and_foreign_urls(walker_for, live_server):
    walker = walker_for()
    walker.page.route(
        f"{live_server.url}/en/planted/",
        lambda route: route.fulfill(
            status=200,
            headers={
                "Content-Type": "text/html",
                "Content-Security-Policy": "; ".join(
                    f"{name} {value}" for name, value in CSP.items()
                ),
            },
            body='<p style="color: red">x</p><script>1</script>'
            '<img src="https://elsewhere.invalid/pixel.png" alt="">',
        ),
    )
    walker.open("/en/planted/")
    found = "\n".join(walker.problems)
    assert "style-src-attr blocked inline" in found
    assert "script-src-elem blocked inline" in found
    assert "img-src blocked https://elsewhere.invalid/pixel.png" in found


def test_the_csrf_failure_page_keeps_to_the_policy_too(walker_for, live_server, network):
    walker = walker_for()
    walker.open("/en/ask/")
    walker.context.clear_cookies()
    with walker.page.expect_navigation() as navigation:
        walker.page.locator("form[method=post] button[type=submit]").click()
    walker.check("ask form posted without its cookie", navigation.value, status=403)
    assert not walker.problems, "\n".join(walker.problems)


def test_security_headers_on_public_and_staff_pages_and_no_store_where_contact_details_show(
    walker_for, live_server, network
):
    claimed = network["claimed"]
    contact = f"/en/work/requests/{claimed.reference}/contact/"
    neighbor_in_admin = reverse("admin:requests_app_neighbor_change", args=[claimed.neighbor.pk])
    request_in_admin = reverse("admin:requests_app_request_change", args=[claimed.pk])
    shows_contact_details = {contact, neighbor_in_admin}
    # Pages that carry a neighbor's private status link, which leads to their messages
    # and to erasing their details: kept out of every cache as well.
    status_page = f"/en/status/{claimed.status_token}/"
    asked_page = f"/en/asked/{claimed.status_token}/"
    taken_page = f"/en/work/take/{network['taken'].status_token}/"
    shows_private_link = {status_page, asked_page, taken_page}
    checked = {}
    for who, paths in [
        (None, ["/en/", "/en/ask/", status_page, asked_page]),
        (network["volunteer1"], ["/en/work/", contact]),
        (network["pointperson"], [contact]),
        (
            network["coordinator"],
            [contact, neighbor_in_admin, request_in_admin, "/en/admin/", taken_page],
        ),
    ]:
        walker = walker_for(who)
        for path in paths:
            walker.open(path)
            checked[(who and who.user.username, path)] = walker.headers[path]
            if path in shows_contact_details:
                # The page really shows them, so no-store below guards something.
                assert claimed.neighbor.phone in walker.page.content(), path
        assert not walker.problems, "\n".join(walker.problems)

    assert len(checked) == 12
    for (who, path), headers in checked.items():
        page = f"{path} as {who or 'a neighbor'}"
        assert directives(headers.get("content-security-policy", "")) == CSP, page
        assert headers.get("referrer-policy") == "same-origin", page
        assert headers.get("x-content-type-options") == "nosniff", page
        assert headers.get("cross-origin-opener-policy") == "same-origin", page
        assert headers.get("x-frame-options") == "DENY", page
        if path in shows_contact_details | shows_private_link or "/admin/" in path:
            assert "no-store" in headers.get("cache-control", ""), page
