"""The page table: for each kind of page, its SQL queries, server time against a bare
baseline view of the same size, what it weighs on the wire, and where the time goes."""

import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.template import base as template_base
from django.template.backends import django as template_backend
from django.test.utils import CaptureQueriesContext

from bench.harness import InProcess, gzip_size, linked_assets, median, percentile, session_cookies
from requests_app.models import Request, RequestStatus
from volunteers.models import Volunteer

KB = 1024
# The targets.
QUERY_TARGET_FORM = 2
QUERY_TARGET_QUEUE = 6
QUERY_TARGET_ANY = 10
RATIO_TARGET = {"neighbor": 2.0, "staff": 5.0}
FIRST_HTML_TARGET = 14 * KB
WITH_CSS_TARGET = 30 * KB


@dataclass(frozen=True)
class Page:
    name: str
    kind: str  # "neighbor" or "staff"
    who: str  # "anonymous", "volunteer", "point person" or "coordinator"
    url: str
    query_target: int
    is_list: bool = False


def cast():
    """The people the pages are seen as, and the rows they look at: chosen from the seed."""
    approved = Volunteer.objects.approved().select_related("user")
    volunteer = (
        approved.filter(user__is_staff=False, pods_led=None)
        .exclude(user__groups__name="Coordinator")
        .order_by("pk")
        .first()
    )
    point_person = (
        approved.filter(user__is_staff=False, pods_led__isnull=False)
        .annotate(
            claimed=Count(
                "claims",
                filter=Q(
                    claims__released_at__isnull=True,
                    claims__request__status=RequestStatus.CLAIMED,
                ),
            )
        )
        .order_by("-claimed", "pk")
        .first()
    )
    coordinator = approved.filter(user__is_staff=True, user__groups__name="Coordinator").first()
    token = (
        Request.objects.values("status_token")
        .annotate(needs=Count("id"))
        .order_by("-needs", "status_token")
        .first()["status_token"]
    )
    busiest = (
        Request.objects.filter(status=RequestStatus.CLAIMED)
        .annotate(events_count=Count("events"))
        .order_by("-events_count", "pk")
        .first()
    )
    pod = volunteer.pods.order_by("pk").first()
    return {
        "volunteer": volunteer,
        "point person": point_person,
        "coordinator": coordinator,
        "token": token,
        "reference": busiest.reference,
        "pod": pod,
    }


def page_list(people):
    return [
        Page("home", "neighbor", "anonymous", "/en/", QUERY_TARGET_ANY),
        Page("ask form", "neighbor", "anonymous", "/en/ask/", QUERY_TARGET_FORM),
        Page("status page", "neighbor", "anonymous", f"/en/status/{people['token']}/", 10),
        Page("queue", "staff", "volunteer", "/en/work/", QUERY_TARGET_QUEUE, is_list=True),
        Page(
            "queue filtered",
            "staff",
            "volunteer",
            f"/en/work/?pod={people['pod'].pk}&need=groceries&unclaimed=on",
            QUERY_TARGET_QUEUE,
            is_list=True,
        ),
        Page(
            "request detail",
            "staff",
            "volunteer",
            f"/en/work/requests/{people['reference']}/",
            QUERY_TARGET_ANY,
        ),
        Page("my work", "staff", "point person", "/en/work/mine/", QUERY_TARGET_ANY, is_list=True),
        Page("reports", "staff", "coordinator", "/en/coordinators/reports/", QUERY_TARGET_ANY),
        Page(
            "admin request list",
            "staff",
            "coordinator",
            "/en/admin/requests_app/request/",
            QUERY_TARGET_ANY,
            is_list=True,
        ),
    ]


class Instruments:
    """Where a request's time goes: the outermost template render, SQL inside and outside
    it, and template variables that failed to resolve (each one raises and catches)."""

    def __init__(self):
        self.render = self.sql = self.sql_in_render = 0.0
        self.failed_lookups = 0
        self._depth = 0

    @contextmanager
    def installed(self):
        original_render = template_backend.Template.render
        original_lookup = template_base.Variable._resolve_lookup
        instruments = self

        def render(template, context=None, request=None):
            if instruments._depth:
                return original_render(template, context, request)
            instruments._depth = 1
            started = time.perf_counter()
            try:
                return original_render(template, context, request)
            finally:
                instruments.render += time.perf_counter() - started
                instruments._depth = 0

        def resolve_lookup(variable, context):
            try:
                return original_lookup(variable, context)
            except template_base.VariableDoesNotExist:
                instruments.failed_lookups += 1
                raise

        def timed_sql(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent = time.perf_counter() - started
                instruments.sql += spent
                if instruments._depth:
                    instruments.sql_in_render += spent

        template_backend.Template.render = render
        template_base.Variable._resolve_lookup = resolve_lookup
        try:
            with connection.execute_wrapper(timed_sql):
                yield self
        finally:
            template_backend.Template.render = original_render
            template_base.Variable._resolve_lookup = original_lookup


def asset_bytes(anonymous, urls):
    total = 0
    for url in urls:
        response = anonymous.get(url)
        encoded = dict((k.lower(), v) for k, v in response.headers).get("content-encoding")
        total += len(response.body) if encoded == "gzip" else gzip_size(response.body)
    return total


def measure_page(page, cookies, *, reps, budget_seconds):
    client = InProcess(cookies)
    anonymous = InProcess()
    first = client.get(page.url)
    row = {"page": page.name, "kind": page.kind, "who": page.who, "url": page.url}
    if first.status != 200:
        row["error"] = f"HTTP {first.status} for {page.url}"
        return row
    for _warm in range(2):
        client.get(page.url)
    # The log keeps earlier requests' queries; start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
    # Read now: captured_queries slices the connection's log, which the next request clears.
    queries = len(captured.captured_queries)
    html = response.body
    baseline_url = f"/bench/baseline/{len(html)}/"
    anonymous.get(baseline_url)
    times, baseline_times, signed_in_times = [], [], []
    signed_in = page.who != "anonymous"
    deadline = time.monotonic() + budget_seconds
    while len(times) < reps and (len(times) < 5 or time.monotonic() < deadline):
        times.append(client.get(page.url).seconds)
        baseline_times.append(anonymous.get(baseline_url).seconds)
        if signed_in:
            # The same bare view for the same person: what their session, login and
            # second step cost before any page is drawn. For information, not a target.
            signed_in_times.append(client.get(baseline_url).seconds)
    instruments = Instruments()
    instrumented_total = 0.0
    with instruments.installed():
        for _n in range(3):
            instrumented_total += client.get(page.url).seconds
    styles, scripts = linked_assets(response.text)
    html_gz = gzip_size(html)
    largest_language = "en"
    if page.kind == "neighbor":
        # The heaviest language decides whether the first answer fits one round trip.
        for code, _name in settings.LANGUAGES:
            other = client.get(page.url.replace("/en/", f"/{code}/", 1))
            if other.status == 200 and gzip_size(other.body) > html_gz:
                html_gz, largest_language = gzip_size(other.body), code
    css_gz = asset_bytes(anonymous, styles)
    js_gz = asset_bytes(anonymous, scripts)
    row.update(
        queries=queries,
        query_target=page.query_target,
        samples=len(times),
        median_ms=median(times) * 1000,
        p95_ms=percentile(times, 0.95) * 1000,
        baseline_median_ms=median(baseline_times) * 1000,
        signed_in_baseline_median_ms=median(signed_in_times) * 1000 if signed_in else None,
        html_bytes=len(html),
        html_gzip_bytes=html_gz,
        heaviest_language=largest_language,
        css_gzip_bytes=css_gz,
        scripts=len(scripts),
        js_gzip_bytes=js_gz,
        total_gzip_bytes=html_gz + css_gz + js_gz,
        template_share=(instruments.render - instruments.sql_in_render) / instrumented_total,
        sql_share=instruments.sql / instrumented_total,
        failed_template_lookups=instruments.failed_lookups // 3,
    )
    row["ratio"] = row["median_ms"] / row["baseline_median_ms"]
    row["ratio_target"] = RATIO_TARGET[page.kind]
    misses = []
    if row["queries"] > page.query_target:
        misses.append(f"{row['queries']} queries > {page.query_target}")
    if row["ratio"] > row["ratio_target"]:
        misses.append(f"{row['ratio']:.1f}x baseline > {row['ratio_target']:.0f}x")
    if page.kind == "neighbor":
        if html_gz > FIRST_HTML_TARGET:
            misses.append(f"HTML {html_gz / KB:.1f} KB gz > 14 KB")
        if row["total_gzip_bytes"] > WITH_CSS_TARGET:
            misses.append(f"with CSS {row['total_gzip_bytes'] / KB:.1f} KB gz > 30 KB")
        if scripts:
            misses.append(f"{len(scripts)} scripts")
    row["misses"] = misses
    return row


def run(*, reps, budget_seconds, log):
    people = cast()
    cookies = {"anonymous": {}}
    for who in ["volunteer", "point person", "coordinator"]:
        cookies[who] = session_cookies(people[who].user)
    rows = []
    for page in page_list(people):
        log(f"  {page.name} ({page.url})")
        rows.append(measure_page(page, cookies[page.who], reps=reps, budget_seconds=budget_seconds))
    return {"people": {k: str(v) for k, v in people.items()}, "pages": rows}
