"""Two app servers on one database, as when the network grows past one machine: twenty
volunteers press Claim at the same moment, split between the two. Exactly one claim is
made; one volunteer is told they took it, the nineteen others who has it.

The servers are real gunicorn processes (gunicorn.conf.py) on loopback ports, on the
test database, so nothing in one Python process can make the claims queue up: only the
database's row lock can."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from requests_app.models import Claim, EventKind
from tests.factories import make_category, make_request, make_volunteer, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
VOLUNTEERS = 20
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def url_of_the_test_database():
    """The test database, on the socket folder .ci/with-postgres made (or the host given)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}{password}@{quote(db['HOST'], safe='')}{port}/{db['NAME']}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port, process, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen on {port}:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def two_app_servers(transactional_db, tmp_path):
    """Two gunicorns (two workers each) on the test database; stopped whatever happens."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url_of_the_test_database(),
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "HTTPS": "0",
        "WEB_CONCURRENCY": "2",
        # As in production: kept pages check what they show once a second.
        "KEPT_PAGES_RECHECK_SECONDS": "1",
    }
    servers = []
    try:
        for number in range(2):
            port = free_port()
            log_path = tmp_path / f"gunicorn-{number}.log"
            with open(log_path, "w") as log:
                process = subprocess.Popen(
                    [str(GUNICORN), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            servers.append((port, process, log_path))
        for port, process, log_path in servers:
            wait_until_listening(port, process, log_path)
        yield [port for port, _process, _log in servers]
    finally:
        for _port, process, _log in servers:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        for _port, process, _log in servers:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Browser:
    """One volunteer's browser, talking to one of the two servers: cookies, no redirects."""

    def __init__(self, port, cookies):
        self.port = port
        self.cookies = dict(cookies)

    def send(self, method, path, body=""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()


def test_twenty_claims_split_between_two_app_processes_make_exactly_one_claim(two_app_servers, pod):
    aid_request = make_request(pod=pod)
    volunteers = [make_volunteer(f"Volunteer {n}", pods=[pod]) for n in range(VOLUNTEERS)]
    page = f"/en/work/requests/{aid_request.reference}/"
    session = settings.SESSION_COOKIE_NAME
    browsers = [
        Browser(two_app_servers[n % 2], {session: sign_in(Client(), v).cookies[session].value})
        for n, v in enumerate(volunteers)
    ]
    with ThreadPoolExecutor(4) as pool:
        opened = list(pool.map(lambda browser: browser.send("GET", page), browsers))
    assert [status for status, _location, _html in opened] == [200] * VOLUNTEERS
    tokens = [CSRF_FIELD.search(html).group(1) for _status, _location, html in opened]

    everyone_ready = threading.Barrier(VOLUNTEERS)
    answers = [None] * VOLUNTEERS

    def press_claim(n):
        everyone_ready.wait(20)
        answers[n] = browsers[n].send(
            "POST", f"{page}claim/", body=f"csrfmiddlewaretoken={quote(tokens[n])}"
        )

    threads = [threading.Thread(target=press_claim, args=(n,)) for n in range(VOLUNTEERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [status for status, _location, _html in answers] == [302] * VOLUNTEERS
    with ThreadPoolExecutor(4) as pool:
        told = [
            unescape(html) for _s, _l, html in pool.map(lambda b: b.send("GET", page), browsers)
        ]
    assert Claim.objects.filter(request=aid_request).count() == 1
    claim = Claim.objects.get(request=aid_request)
    assert aid_request.events.filter(kind=EventKind.CLAIMED).count() == 1
    winners = [n for n, html in enumerate(told) if "You took this request." in html]
    assert winners == [volunteers.index(claim.volunteer)]
    assert sum(
        f"Already taken by {claim.volunteer.name} a moment ago" in html for html in told
    ) == (VOLUNTEERS - 1)


def test_a_pod_renamed_through_one_process_shows_on_the_others_kept_form(two_app_servers, pod):
    """The ask form is kept in each process's memory; a save made elsewhere (here, the
    test's own process) shows in both within about a second, without restarting them."""
    make_category("groceries", applies_to="needs")
    browsers = [Browser(port, {}) for port in two_app_servers]
    for browser in browsers:
        for _visit in range(3):  # each of the two workers keeps the page
            assert "Prospect Hill" in browser.send("GET", "/en/ask/")[2]

    pod.name = "Walnut Hill"
    pod.save()

    deadline = time.monotonic() + 15
    shown = [False, False]
    while not all(shown) and time.monotonic() < deadline:
        for n, browser in enumerate(browsers):
            shown[n] = shown[n] or "Walnut Hill" in browser.send("GET", "/en/ask/")[2]
        time.sleep(0.2)
    assert shown == [True, True]
