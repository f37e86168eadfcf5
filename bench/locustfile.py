"""A crisis hour, compressed: volunteers refreshing the queue and claiming, neighbors
asking for help in their languages. Run by bench.crisis (locust --headless).

BENCH_SESSIONS names a JSON file of volunteers' session cookies, one per volunteer user.
Each neighbor posts from its own address (X-Forwarded-For, which the bench's server
trusts, as it would behind a proxy), because the rate limit is per address and a real
crowd does not share one.
"""

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

from locust import HttpUser, between, task

SESSIONS = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text())
_volunteer_numbers = itertools.count()
_neighbor_numbers = itertools.count()
NEIGHBOR_LANGUAGES = ["en", "es", "es", "pt-br", "ht", "zh-hans", "ar"]

CLAIM_FORM = re.compile(
    r'action="(/[^"]+/claim/)"[^>]*>(?:(?!</form>).)*?'
    r'name="csrfmiddlewaretoken" value="([^"]+)"',
    re.S,
)
HIDDEN = re.compile(r'<input type="hidden" name="(csrfmiddlewaretoken|started)" value="([^"]+)"')
NEED = re.compile(r'name="needs" value="(\d+)"')


class Volunteer(HttpUser):
    """Refreshes the queue every few seconds; claims the first request offered now and then."""

    fixed_count = int(os.environ.get("BENCH_VOLUNTEERS", "100"))
    wait_time = between(3, 10)

    def on_start(self):
        number = next(_volunteer_numbers)
        for name, value in SESSIONS[number % len(SESSIONS)].items():
            self.client.cookies.set(name, value)
        self.claim_form = None

    @task(4)
    def refresh_queue(self):
        with self.client.get("/en/work/", name="queue", catch_response=True) as response:
            if response.status_code != 200 or "<h1>" not in response.text:
                response.failure(f"queue answered {response.status_code}")
                return
            self.claim_form = CLAIM_FORM.search(response.text)

    @task(1)
    def claim(self):
        if self.claim_form is None:
            return self.refresh_queue()
        action, token = self.claim_form.groups()
        self.claim_form = None
        with self.client.post(
            action,
            data={"csrfmiddlewaretoken": token},
            name="claim",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Won or told who has it: both are a redirect back to the request.
            if response.status_code != 302:
                response.failure(f"claim answered {response.status_code}")


class Neighbor(HttpUser):
    """Opens the ask form in their language, takes a few seconds to fill it in, sends it."""

    fixed_count = int(os.environ.get("BENCH_NEIGHBORS", "20"))
    wait_time = between(5, 15)

    def on_start(self):
        self.number = next(_neighbor_numbers)
        self.sent = 0

    @task
    def ask(self):
        language = random.choice(NEIGHBOR_LANGUAGES)
        with self.client.get(f"/{language}/ask/", name="ask form", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"ask form answered {page.status_code}")
                return
            hidden = dict(HIDDEN.findall(page.text))
            needs = NEED.findall(page.text)
        # A person reads and types; the form refuses anything faster than FORM_MIN_SECONDS.
        time.sleep(random.uniform(4, 8))
        self.sent += 1
        address = f"203.0.{113 + self.number % 2}.{(self.number * 97 + self.sent) % 250 + 1}"
        data = {
            **hidden,
            "needs": random.sample(needs, random.choice([1, 1, 2])),
            "details": "Comida para mi familia esta semana, por favor.",
            "urgency": random.choice(["1", "2", "3"]),
            "name": "Rosa",
            "phone": f"617-555-{random.randrange(10000):04d}",
            "email": "",
            "preferred_contact": "call",
            "best_time": "Evenings",
            "language": language,
            "address": "Moody St and Main St",
            "pod": "",
            "share_with_point_people": "no",
            "homepage": "",
        }
        with self.client.post(
            f"/{language}/ask/",
            data=data,
            headers={"X-Forwarded-For": address},
            name="ask (send)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/asked/" not in response.headers.get("Location", ""):
                response.failure(f"ask answered {response.status_code}, not the thank-you page")
