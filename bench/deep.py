"""Deep pages and query plans.

A page 75,000 rows deep in the queue (and in the admin's request list) against the first
page, reached through the `next` link each page renders: with page numbers the bench jumps
straight to the deep page; with an opaque cursor it follows the links page by page. Then
EXPLAIN (ANALYZE) of every query a list page sends to the requests table, flagging a
sequential scan of it."""

import html as html_lib
import re
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.harness import InProcess, median

DEPTH = 75_000
# Following a cursor 3,000 pages deep takes as long as 3,000 pages: stop there, and say so.
FOLLOW_SECONDS = 420
REQUESTS_TABLE = "requests_app_request"
SEQ_SCAN = re.compile(r"Seq Scan on requests_app_request\b")


def next_link(page_html):
    """The href of the page's `next` link: rel="next", or a link reading Next."""
    for pattern in [
        r'<a[^>]*rel="next"[^>]*href="([^"]+)"',
        r'<a[^>]*href="([^"]+)"[^>]*rel="next"',
        r'<a[^>]*href="([^"]+)"[^>]*>\s*(?:Next|›|»|&rsaquo;|&raquo;)',
    ]:
        match = re.search(pattern, page_html)
        if match:
            return html_lib.unescape(match.group(1))
    # The admin numbers its pages without a "next" link: the link to page 2 is the next one.
    match = re.search(r'href="(\?(?:[^"]*&amp;)?(?:p|page)=2(?:&amp;[^"]*)?)"', page_html)
    return html_lib.unescape(match.group(1)) if match else None


def rows_on(page_html, list_name):
    if list_name == "admin request list":
        table = page_html.split('id="result_list"', 1)[-1]
        body = table.split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
        return body.count("<tr")
    return len(re.findall(r'<section class="card', page_html))


def absolute(base_url, href):
    if href.startswith("?"):
        return urlsplit(base_url).path + href
    return href


def time_url(client, url, reps):
    client.get(url)
    return [client.get(url).seconds for _n in range(reps)]


def deep_page(client, list_name, first_url, *, depth, reps, log):
    first = client.get(first_url)
    if first.status != 200:
        return {"list": list_name, "error": f"HTTP {first.status} for {first_url}"}
    per_page = rows_on(first.text, list_name)
    href = next_link(first.text)
    result = {"list": list_name, "first_url": first_url, "rows_per_page": per_page}
    if not href or not per_page:
        result["error"] = "no next link on the first page"
        return result
    next_url = absolute(first_url, href)
    query = dict(parse_qsl(urlsplit(next_url).query))
    page_param = next((name for name in ("page", "p") if query.get(name, "").isdigit()), None)
    if page_param:
        # Numbered pages: jump there, as a person typing the number (or a crawler) would.
        result["pagination"] = f"page numbers (?{page_param}=)"
        query[page_param] = str(int(query[page_param]) - 1 + depth // per_page)
        deep_url = f"{urlsplit(next_url).path}?{urlencode(query)}"
        reached = depth // per_page * per_page
        if client.get(deep_url).status != 200:
            result["error"] = f"the deep page {deep_url} did not answer 200"
            return result
    else:
        result["pagination"] = "a cursor in the next link"
        deep_url, reached = next_url, per_page
        started = time.monotonic()
        while reached < depth:
            page = client.get(deep_url)
            href = next_link(page.text) if page.status == 200 else None
            if not href:
                break
            deep_url, reached = absolute(first_url, href), reached + rows_on(page.text, list_name)
            if time.monotonic() - started > FOLLOW_SECONDS:
                log(f"    (stopped following next links after {FOLLOW_SECONDS} s)")
                break
    first_times = time_url(client, first_url, reps)
    deep_times = time_url(client, deep_url, reps)
    result.update(
        deep_url=deep_url,
        rows_deep=reached,
        first_median_ms=median(first_times) * 1000,
        deep_median_ms=median(deep_times) * 1000,
    )
    result["ratio"] = result["deep_median_ms"] / result["first_median_ms"]
    result["target"] = 1.2
    return result


def plans_for(client, list_name, url):
    """EXPLAIN (ANALYZE) of each SELECT the page sends that reads the requests table."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or REQUESTS_TABLE not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
        execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
        plans.append(
            {
                "sql": sql,
                "execution_ms": float(execution.group(1)) if execution else None,
                "seq_scan_on_requests": bool(SEQ_SCAN.search(plan)),
                "plan": plan,
            }
        )
    return {"list": list_name, "url": url, "status": status, "queries": plans}


def run(pages, cookies, *, scale, reps, log):
    """`pages`: the page table's rows; list pages get a deep page and plans."""
    depth = min(DEPTH, int(DEPTH * scale))
    results = {"depth_target": depth, "deep_pages": [], "plans": []}
    by_name = {row["page"]: row for row in pages}
    lists = [
        ("queue", by_name["queue"]["url"], "volunteer"),
        ("admin request list", by_name["admin request list"]["url"], "coordinator"),
    ]
    for list_name, url, who in lists:
        log(f"  deep page: {list_name}")
        results["deep_pages"].append(
            deep_page(InProcess(cookies[who]), list_name, url, depth=depth, reps=reps, log=log)
        )
    for deep in results["deep_pages"]:
        if "deep_url" in deep:
            who = "volunteer" if deep["list"] == "queue" else "coordinator"
            results["plans"].append(
                plans_for(InProcess(cookies[who]), f"{deep['list']}, deep", deep["deep_url"])
            )
    for row in pages:
        if "error" not in row:
            log(f"  EXPLAIN: {row['page']}")
            results["plans"].append(
                plans_for(InProcess(cookies[row["who"]]), row["page"], row["url"])
            )
    return results
