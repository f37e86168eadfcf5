"""A page costs the same number of queries with 3 rows or 60, every list that grows is
paged by a cursor (keyset, "the rows after this one", never OFFSET), and each list's
query reads an index rather than the whole requests table."""

import itertools
import re
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.keyset import AFTER, Cursor
from requests_app.localized import translated_name
from requests_app.models import (
    CLOSED,
    LANGUAGE_CODES,
    Claim,
    Event,
    EventKind,
    Neighbor,
    Offer,
    Repeat,
    Request,
    RequestStatus,
    Resource,
    Translation,
)
from tests.factories import (
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_volunteer,
    sign_in,
)
from volunteers.access import role_for
from volunteers.models import Pod
from volunteers.queue import PAGE_SIZE as QUEUE_PAGE_SIZE
from volunteers.queue import _filters_as_sql, queue_page

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 60
STATUSES = [
    RequestStatus.NEW,
    RequestStatus.OPEN,
    RequestStatus.CLAIMED,
    RequestStatus.OPEN,
    RequestStatus.FULFILLED,
    RequestStatus.NEW,
]


class Network:
    """A little network that grows: pods, needs, volunteers in every role, requests in
    every status, language and pod (and none), claims, messages both ways, translations,
    notes, offers and resources. `grow(n)` adds n of each kind of row, in bulk."""

    def __init__(self):
        self.now = timezone.now()
        self.counter = itertools.count()
        self.hill = make_pod("Prospect Hill", slug="prospect-hill")
        self.side = make_pod("South Side", slug="south-side")
        self.food = make_category("food", name="Food")
        self.rides = make_category("rides", name="Rides")
        self.ana = make_volunteer("Ana", pods=[self.hill], languages=["en", "ht"])
        self.ben = make_volunteer("Ben", pods=[self.side], languages=["es"])
        self.paula = make_volunteer(
            "Paula", pods=[self.hill], groups=["Volunteer", "Point person"], languages=["pt-br"]
        )
        self.hill.point_people.add(self.paula)
        self.maria = make_volunteer(
            "Maria", groups=["Volunteer", "Coordinator"], languages=["en", "es"]
        )
        User.objects.filter(pk=self.maria.user_id).update(is_staff=True)
        self.maria.user.refresh_from_db()
        # The request every detail page opens: Ana's, in her pod, repeating, talked about.
        self.focus = make_request(
            neighbor=make_neighbor(pod=self.hill, language="ht"),
            category=self.food,
            pod=self.hill,
            language="ht",
            details="Mwen bezwen manje.",
        )
        self.focus.claim(self.ana)
        self.focus.set_repeat(Repeat.WEEKLY, by=self.ana.user)
        # Waiting in South Side, in Creole, which nobody there speaks and Ana does: so the
        # queue filtered to "needs an interpreter" has a row at every size.
        make_request(
            neighbor=make_neighbor(pod=self.side, language="ht"),
            category=self.rides,
            pod=self.side,
            language="ht",
            status=RequestStatus.OPEN,
        )
        self.offer = make_offer(category=self.food, pod=self.hill)
        make_resource("Community fridge", categories=[self.food])
        self.pods = [self.hill, self.side, None]
        self.categories = [self.food, self.rides]
        self.helpers = [self.ana, self.ben]
        self.size = 0

    def grow(self, n):
        """n more of everything (a pod and a need for every third request)."""
        start = self.size
        self.size += n
        for i in range(start, start + n):
            if i % 3 == 2:
                self.pods.append(make_pod(f"Pod {i}", slug=f"pod-{i}"))
                self.categories.append(make_category(f"need-{i}", name=f"Need {i}"))
                self.helpers.append(make_volunteer(f"Helper {i}", pods=[self.pods[-1]]))
        neighbors = Neighbor.objects.bulk_create(
            Neighbor(
                name=f"Neighbor {i}",
                # Every fifth has the phone of the one before: one person, two records.
                phone=f"+1617556{i - (i % 5 == 4):04d}",
                email="" if i % 2 else f"n{i}@example.org",
                language=LANGUAGE_CODES[i % len(LANGUAGE_CODES)],
            )
            for i in range(start, start + n)
        )
        requests = []
        for i, neighbor in zip(range(start, start + n), neighbors, strict=True):
            status = STATUSES[i % len(STATUSES)]
            created = self.now - timedelta(days=i % 9, hours=i)
            requests.append(
                Request(
                    neighbor=neighbor,
                    category=self.categories[i % len(self.categories)],
                    pod=self.pods[i % len(self.pods)],
                    language=neighbor.language,
                    urgency=1 + i % 3,
                    status=status,
                    details=f"Need number {i}",
                    created_at=created,
                    closed_at=created + timedelta(hours=5) if status in CLOSED else None,
                )
            )
        requests = Request.objects.bulk_create(requests)
        Claim.objects.bulk_create(
            Claim(request=aid_request, volunteer=self.helpers[i % len(self.helpers)])
            for i, aid_request in enumerate(requests)
            if aid_request.status in {RequestStatus.CLAIMED, *CLOSED}
        )
        events = []
        for i, aid_request in enumerate(requests):
            events.append(Event(request=aid_request, kind=EventKind.SUBMITTED))
            if i % 2:
                events.append(
                    Event(request=aid_request, kind=EventKind.MESSAGE_FROM_NEIGHBOR, text="Hi?")
                )
            events.append(Event(request=aid_request, kind=EventKind.NOTE, text="Called."))
            # The focus request's conversation and timeline grow too.
            events.append(
                Event(
                    request=self.focus,
                    kind=EventKind.MESSAGE_FROM_NEIGHBOR,
                    by_neighbor=True,
                    text=f"Message {i}",
                    created_at=self.now + timedelta(minutes=next(self.counter)),
                )
            )
            events.append(
                Event(
                    request=self.focus,
                    kind=EventKind.MESSAGE_TO_NEIGHBOR,
                    actor=self.ana.user,
                    text=f"Answer {i}",
                    created_at=self.now + timedelta(minutes=next(self.counter)),
                )
            )
        events = Event.objects.bulk_create(events)
        Translation.objects.bulk_create(
            Translation(
                request=event.request,
                event=event,
                language="en",
                text="A translation",
                translator=self.ana.user,
            )
            for event in events
            if event.kind == EventKind.MESSAGE_FROM_NEIGHBOR
        )
        Offer.objects.bulk_create(
            Offer(
                neighbor=neighbor,
                category=self.categories[i % len(self.categories)],
                pod=self.pods[i % len(self.pods)],
            )
            for i, neighbor in zip(range(start, start + n), neighbors, strict=True)
        )
        resources = Resource.objects.bulk_create(
            Resource(name=f"Resource {i}", phone="617-555-0100") for i in range(start, start + n)
        )
        Resource.categories.through.objects.bulk_create(
            Resource.categories.through(resource=resource, category=self.food)
            for resource in resources
        )
        return self


@pytest.fixture
def network():
    return Network().grow(SMALL)


def client_for(who):
    return sign_in(Client(), who.user) if who is not None else Client()


# (id, who opens it, the URL, at most this many queries)
PAGES = [
    ("home", None, lambda net: reverse("requests_app:home"), 2),
    ("ask", None, lambda net: reverse("requests_app:ask"), 2),
    ("offer-form", None, lambda net: reverse("requests_app:offer"), 2),
    ("sign-up", None, lambda net: reverse("volunteers:sign_up"), 2),
    ("resources", None, lambda net: reverse("requests_app:resources"), 10),
    ("resources-need", None, lambda net: reverse("requests_app:resources") + "?need=food", 10),
    (
        "status",
        None,
        lambda net: reverse("requests_app:status", args=[net.focus.status_token]),
        10,
    ),
    ("queue", "ana", lambda net: reverse("volunteers:queue"), 6),
    ("queue-point-person", "paula", lambda net: reverse("volunteers:queue"), 6),
    # A coordinator's second sign-in step reads their device: one query more.
    ("queue-coordinator", "maria", lambda net: reverse("volunteers:queue"), 7),
    (
        "queue-filtered",
        "ana",
        lambda net: (
            reverse("volunteers:queue")
            + f"?pod={net.hill.pk}&need=food&language=ht&urgency=1&older_than=1&unclaimed=on"
        ),
        6,
    ),
    (
        "queue-interpreter",
        "ana",
        lambda net: reverse("volunteers:queue") + "?needs_interpreter=on",
        6,
    ),
    ("queue-claimed", "ana", lambda net: reverse("volunteers:queue") + "?status=claimed", 6),
    (
        "request-detail",
        "ana",
        lambda net: reverse("volunteers:request", args=[net.focus.reference]),
        10,
    ),
    (
        "request-detail-point-person",
        "paula",
        lambda net: reverse("volunteers:request", args=[net.focus.reference]),
        10,
    ),
    # Coordinators pay one query more on every page: their second sign-in step is
    # checked against their device (django_otp) on each request.
    (
        "request-detail-coordinator",
        "maria",
        lambda net: reverse("volunteers:request", args=[net.focus.reference]),
        11,
    ),
    ("my-work", "ana", lambda net: reverse("volunteers:my_work"), 10),
    ("my-work-point-person", "paula", lambda net: reverse("volunteers:my_work"), 10),
    ("my-work-coordinator", "maria", lambda net: reverse("volunteers:my_work"), 10),
    (
        "offer-detail",
        "ana",
        lambda net: reverse("volunteers:offer", args=[net.offer.reference]),
        10,
    ),
    ("rota", "ana", lambda net: reverse("volunteers:rota", args=[net.focus.reference]), 10),
    ("reports", "maria", lambda net: reverse("volunteers:reports"), 10),
    (
        "flyers",
        "maria",
        lambda net: reverse("volunteers:flyers") + "?pod=prospect-hill&pod=south-side&lang=es",
        10,
    ),
    # Session, login, second step, permissions (2), the need and pod filters, the count
    # and the page.
    ("admin-requests", "maria", lambda net: reverse("admin:requests_app_request_changelist"), 9),
    # The same, with the pod and language filters in place of the need filter.
    (
        "admin-neighbors-sharing-a-phone-or-email",
        "maria",
        lambda net: reverse("admin:requests_app_neighbor_changelist") + "?shares=contact",
        9,
    ),
]


@pytest.mark.parametrize(
    ("who", "url", "budget"),
    [page[1:] for page in PAGES],
    ids=[page[0] for page in PAGES],
)
def test_each_page_runs_the_same_queries_for_3_or_60_rows(
    network, who, url, budget, django_assert_max_num_queries
):
    """Each page is measured on a second visit: what every visit costs but the first
    after a pod or category changes, which also reads the choices that pages keep in
    memory (waltham_aid/kept_pages.py; tests/test_public_pages_are_light.py counts it)."""
    client = client_for(getattr(network, who) if who else None)
    assert client.get(url(network)).status_code == 200
    with django_assert_max_num_queries(budget) as small:
        assert client.get(url(network)).status_code == 200
    network.grow(LARGE - SMALL)
    assert client.get(url(network)).status_code == 200
    with django_assert_max_num_queries(budget) as large:
        assert client.get(url(network)).status_code == 200
    assert len(large) == len(small), [query["sql"][:120] for query in large.captured_queries]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_lists_sort_by_names_in_every_language(network, language):
    """Pods, needs and resources are sorted by their name in the reader's language (the
    English one where it has none yet)."""
    Pod.objects.filter(pk=network.side.pk).update(name_es="Lado Sur")
    with translation.override(language):
        pages = [
            (None, reverse("requests_app:resources")),
            ("ana", reverse("volunteers:queue")),
            ("maria", reverse("volunteers:reports")),
        ]
    for who, url in pages:
        response = client_for(getattr(network, who) if who else None).get(url)
        assert response.status_code == 200, url
    with translation.override(language):
        queue = client_for(network.ana).get(reverse("volunteers:queue")).content.decode()
    assert ("Lado Sur" in queue) == (language == "es")
    assert "South Side" in queue or language == "es"


# --- Keyset paging: Next and Previous walk every row once, in order ---------------------

REFERENCE = re.compile(r'class="reference" translate="no">([2-9A-Z]{4}-[2-9A-Z]{2})<')


def link(html, rel):
    """The Next (rel=next) or Previous (rel=prev) link of the page, or None."""
    found = re.findall(rf'<a rel="{rel}" href="([^"]*)"', html)
    return unescape(found[0]) if found else None


def walk(client, url, rel="next", pattern=REFERENCE, first=None):
    """Follow the links one way from `url`: the rows of each page, in page order."""
    pages, seen = [], set()
    html = client.get(url).content.decode() if first is None else first
    while True:
        pages.append(pattern.findall(html))
        target = link(html, rel)
        if target is None:
            return pages, html
        assert target not in seen, "a link that goes round in circles"
        seen.add(target)
        response = client.get(url.split("?")[0] + target)
        assert response.status_code == 200
        html = response.content.decode()


def queue_order(volunteer, requests):
    """The queue's order for this volunteer, worked out in Python."""
    pods = set(volunteer.pods.values_list("pk", flat=True))

    def key(aid_request):
        return (
            aid_request.language not in volunteer.languages,
            aid_request.pod_id not in pods,
            aid_request.urgency,
            aid_request.created_at,
            aid_request.pk,
        )

    return [aid_request.reference for aid_request in sorted(requests, key=key)]


def test_the_queue_pages_through_every_waiting_request_in_its_order_and_back(network):
    network.grow(100)
    waiting = Request.objects.filter(status__in=[RequestStatus.NEW, RequestStatus.OPEN])
    expected = queue_order(network.ana, waiting)
    assert len(expected) > 2 * QUEUE_PAGE_SIZE
    client = client_for(network.ana)

    forward, last = walk(client, reverse("volunteers:queue"))
    assert [reference for page in forward for reference in page] == expected
    assert [len(page) for page in forward[:-1]] == [QUEUE_PAGE_SIZE] * (len(forward) - 1)

    backward, _first = walk(client, reverse("volunteers:queue"), rel="prev", first=last)
    assert backward == forward[::-1]


def test_the_queue_keeps_its_filters_from_page_to_page(network):
    network.grow(150)
    claimed = Request.objects.filter(status=RequestStatus.CLAIMED)
    expected = queue_order(network.paula, claimed)
    assert len(expected) > QUEUE_PAGE_SIZE
    forward, _last = walk(
        client_for(network.paula), reverse("volunteers:queue") + "?status=claimed"
    )
    assert [reference for page in forward for reference in page] == expected


def test_the_queue_takes_only_filters_on_the_requests_own_columns(db):
    """The queue writes its UNION from the filters' SQL, which may name only the requests
    table: a filter across a join is a mistake to hear about, not a wrong page."""
    with pytest.raises(ValueError, match="no joins"):
        _filters_as_sql(Request.objects.filter(category__slug="food"))
    where, params = _filters_as_sql(Request.objects.filter(category=3, language="ht"))
    assert params == [3, "ht"]
    assert _filters_as_sql(Request.objects.all()) == ("1 = 1", [])
    assert _filters_as_sql(Request.objects.none()) is None  # no row can match


def test_a_queue_of_nothing_is_an_empty_page_and_everything_is_the_whole_queue(network):
    role = role_for(network.ana.user)
    assert len(queue_page(Request.objects.none(), role, None)) == 0
    everything = queue_page(Request.objects.all(), role, None)
    assert len(everything) == min(Request.objects.count(), QUEUE_PAGE_SIZE)


def test_my_work_pages_each_list_on_its_own(network):
    network.grow(200)
    client = client_for(network.maria)
    now = timezone.now()
    expected = [
        aid_request.reference
        for aid_request in Request.objects.with_activity()
        .needing_attention(now=now)
        .order_by("created_at", "pk")
    ]
    assert len(expected) > 25
    url = reverse("volunteers:my_work")
    attention = re.compile(r'class="reference" translate="no">([^<]+)<')

    def section(html):
        return html.split("Needs attention in my pods")[1]

    html = client.get(url).content.decode()
    found = attention.findall(section(html))
    while (target := link(section(html), "next")) is not None:
        html = client.get(url + target).content.decode()
        found += attention.findall(section(html))
    assert found == expected
    # Paging one list leaves the others where they were.
    assert link(section(html), "prev").count("attention=") == 1


def test_the_resource_directory_pages_by_name(network):
    network.grow(70)
    expected = [
        resource.name
        for resource in Resource.objects.filter(active=True)
        .annotate(shown_name=translated_name())
        .order_by("shown_name", "pk")
    ]
    name = re.compile(r'<h2 translate="no" dir="auto">([^<]+)</h2>')
    client = Client()
    forward, last = walk(client, reverse("requests_app:resources"), pattern=name)
    assert [resource for page in forward for resource in page] == expected
    backward, _first = walk(
        client, reverse("requests_app:resources"), rel="prev", pattern=name, first=last
    )
    assert backward == forward[::-1]


def test_a_neighbor_reads_a_long_conversation_newest_first_then_older(network):
    network.grow(30)
    messages = list(
        Event.objects.conversation().filter(request=network.focus).order_by("created_at", "pk")
    )
    assert len(messages) == 2 * network.size > 40
    url = reverse("requests_app:status", args=[network.focus.status_token])
    text = re.compile(r'<span translate="no" dir="auto">((?:Message|Answer) \d+)</span>')
    client = Client()
    newest, oldest = walk(client, url, rel="prev", pattern=text)
    assert newest[0] == [event.text for event in messages[-20:]]
    assert [message for page in newest[::-1] for message in page] == [
        event.text for event in messages
    ]
    back, _newest = walk(client, url, rel="next", pattern=text, first=oldest)
    assert back == newest[::-1]


def garbled(valid):
    """The same cursor with one character of its payload changed."""
    middle = len(valid) // 2
    return valid[:middle] + ("A" if valid[middle] != "A" else "B") + valid[middle + 1 :]


@pytest.mark.parametrize(
    ("who", "url", "param"),
    [
        ("ana", lambda net: reverse("volunteers:queue"), "cursor"),
        ("ana", lambda net: reverse("volunteers:queue") + "?status=claimed", "cursor"),
        ("maria", lambda net: reverse("volunteers:my_work"), "attention"),
        ("maria", lambda net: reverse("volunteers:my_work"), "untold"),
        ("ana", lambda net: reverse("volunteers:my_work"), "mine"),
        (None, lambda net: reverse("requests_app:resources"), "cursor"),
        (
            None,
            lambda net: reverse("requests_app:status", args=[net.focus.status_token]),
            "messages",
        ),
    ],
    ids=["queue", "queue-filtered", "attention", "untold", "mine", "resources", "status"],
)
def test_a_cursor_we_did_not_sign_for_this_list_gives_the_first_page(network, who, url, param):
    network.grow(100)
    client = client_for(getattr(network, who) if who else None)
    base = url(network)
    joiner = "&" if "?" in base else "?"
    first = client.get(base).content.decode()
    queue_cursor = Cursor(AFTER, (0, 0, 1, timezone.now(), 1)).encode("queue")
    cursors = {
        "garbage": "garbage",
        "nul": "\x00",
        "long": "x" * 5000,
        "tampered": garbled(queue_cursor),
        "another list's": Cursor(AFTER, (timezone.now(), 1)).encode("my-work:mine"),
        "not the shape": Cursor(AFTER, (1, 2)).encode("queue"),
        "no such part": Cursor(AFTER, (7, 7, 1, timezone.now(), 1)).encode("queue"),
    }
    if not base.startswith(reverse("volunteers:queue")):
        cursors["the queue's"] = queue_cursor
    for name, cursor in cursors.items():
        response = client.get(f"{base}{joiner}{param}={quote(cursor, safe='')}")
        assert response.status_code == 200, name
        assert REFERENCE.findall(response.content.decode()) == REFERENCE.findall(first), name


# --- Indexes: each list's query reads an index, never the whole requests table ---------

CRISIS = [RequestStatus.NEW] * 15 + [RequestStatus.OPEN] * 65 + [RequestStatus.CLAIMED] * 8
CRISIS += [RequestStatus.FULFILLED] * 6 + [RequestStatus.COULD_NOT_HELP] * 6


def seed_requests(network, how_many):
    """A city network's requests, in bulk: mostly waiting (a crisis month), in 60 pods,
    every language, 15 needs; claims, messages and a timeline start for each."""
    pods = Pod.objects.bulk_create(Pod(name=f"Block {n}", slug=f"block-{n}") for n in range(60))
    pods += [network.hill, network.side, None]
    needs = [make_category(f"seed-{n}") for n in range(13)] + [network.food, network.rides]
    neighbors = Neighbor.objects.bulk_create(
        Neighbor(name="", phone=f"+1617557{n:04d}", email="" if n % 2 else f"s{n}@example.org")
        for n in range(how_many // 3)
    )
    now = timezone.now()
    requests = Request.objects.bulk_create(
        Request(
            neighbor=neighbors[n % len(neighbors)],
            category=needs[n % len(needs)],
            pod=pods[n * 7 % len(pods)],
            language=LANGUAGE_CODES[n * 5 % len(LANGUAGE_CODES)],
            urgency=1 + n % 3,
            status=CRISIS[n * 37 % len(CRISIS)],
            created_at=now - timedelta(minutes=17 * n),
            closed_at=now if CRISIS[n * 37 % len(CRISIS)] in CLOSED else None,
        )
        for n in range(how_many)
    )
    helpers = [network.ana, network.ben, network.paula]
    Claim.objects.bulk_create(
        Claim(request=aid_request, volunteer=helpers[n % len(helpers)])
        for n, aid_request in enumerate(requests)
        if aid_request.status not in {RequestStatus.NEW, RequestStatus.OPEN}
    )
    Event.objects.bulk_create(
        Event(
            request=aid_request,
            kind=EventKind.MESSAGE_FROM_NEIGHBOR if n % 10 == 0 else EventKind.SUBMITTED,
            created_at=aid_request.created_at,
        )
        for n, aid_request in enumerate(requests)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return requests


def plans_reading_requests(client, url):
    """EXPLAIN of each query the page ran on the requests table."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    plans = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if "requests_app_request" not in sql or not sql.lstrip("(").startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
    assert plans, "the page read no requests at all"
    return plans


def test_each_list_reads_the_requests_through_an_index_at_5000_requests(network):
    requests = seed_requests(network, 5000)
    waiting = [r for r in requests if r.status in {RequestStatus.NEW, RequestStatus.OPEN}]
    deep = queue_order(network.ana, waiting)[3000]
    deep = next(r for r in waiting if r.reference == deep)
    deep_cursor = Cursor(
        AFTER,
        (
            int(deep.language not in network.ana.languages),
            int(deep.pod_id != network.hill.pk),
            deep.urgency,
            deep.created_at,
            deep.pk,
        ),
    ).encode("queue")
    queue = reverse("volunteers:queue")
    pages = [
        ("ana", queue),
        ("ana", f"{queue}?cursor={deep_cursor}"),
        ("maria", queue),
        ("ana", f"{queue}?pod={network.side.pk}"),
        ("ana", f"{queue}?need=food"),
        ("ana", f"{queue}?language=zh-hans"),
        ("ana", f"{queue}?needs_interpreter=on"),
        ("ana", f"{queue}?status=claimed"),
        ("ana", reverse("volunteers:my_work")),
        ("paula", reverse("volunteers:my_work")),
        ("maria", reverse("volunteers:my_work")),
        (None, reverse("requests_app:status", args=[network.focus.status_token])),
    ]
    for who, url in pages:
        client = client_for(getattr(network, who) if who else None)
        for sql, plan in plans_reading_requests(client, url).items():
            assert "Seq Scan on requests_app_request" not in plan, f"{url}\n{sql}\n{plan}"

    # The admin's list, newest first, on top and 3,000 rows deep by its cursor: one page
    # of 100 and one more row; its counts read what they count.
    newest_first = sorted(requests, key=lambda r: (r.created_at, r.pk), reverse=True)
    admin_cursor = Cursor(AFTER, (newest_first[3000].created_at, newest_first[3000].pk)).encode(
        "admin:requests_app.request"
    )
    changelist = reverse("admin:requests_app_request_changelist")
    for url in [changelist, f"{changelist}?cursor={admin_cursor}"]:
        admin = plans_reading_requests(client_for(network.maria), url)
        page = [plan for sql, plan in admin.items() if "LIMIT 101" in sql]
        assert len(page) == 1, url
        assert "Seq Scan on requests_app_request" not in page[0], page[0]
