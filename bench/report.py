"""Plain-text tables for the terminal."""

import os

KB = 1024


def table(headers, rows):
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    cells = [row + [""] * (len(headers) - len(row)) for row in cells]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def mark(ok):
    return "ok" if ok else "MISS"


def seed_section(seed):
    if "error" in seed:
        return f"Seed: {seed['error']}"
    return f"Seed: {seed['summary']} ({seed['seconds']:.0f} s wall clock)"


def signed_in_column(row):
    base = row.get("signed_in_baseline_median_ms")
    if not base:
        return "-"
    return f"{row['median_ms'] / base:.1f}x ({base:.2f} ms)"


def pages_section(result):
    rows = []
    for row in result["pages"]:
        if "error" in row:
            rows.append([row["page"], row["who"], row["error"]])
            continue
        rows.append(
            [
                row["page"],
                row["who"],
                f"{row['queries']} (<={row['query_target']}) {mark(row['queries'] <= row['query_target'])}",
                f"{row['median_ms']:.1f}",
                f"{row['p95_ms']:.1f}",
                f"{row['baseline_median_ms']:.2f}",
                f"{row['ratio']:.1f}x (<={row['ratio_target']:.0f}x) {mark(row['ratio'] <= row['ratio_target'])}",
                signed_in_column(row),
                f"{row['html_gzip_bytes'] / KB:.1f}"
                + (f" {row['heaviest_language']}" if row["kind"] == "neighbor" else ""),
                f"{row['total_gzip_bytes'] / KB:.1f}",
                row["scripts"],
                f"{row['template_share'] * 100:.0f}%",
                f"{row['sql_share'] * 100:.0f}%",
                row["failed_template_lookups"],
            ]
        )
    headers = [
        "page",
        "as",
        "SQL queries",
        "median ms",
        "p95 ms",
        "baseline ms",
        "vs baseline",
        "vs signed-in",
        "HTML gz KB",
        "+CSS/JS KB",
        "scripts",
        "template",
        "SQL",
        "failed lookups",
    ]
    notes = [
        "Server time in this process through the WSGI handler and every middleware; the "
        "baseline is a bare view returning an HTML string of the page's size, no cookies.",
        "vs signed-in: the same bare view asked by the same signed-in person (session, login, "
        "second step read), and its time; for information, not a target.",
        "Targets: neighbor pages <=2x baseline, first HTML <=14 KB gz, <=30 KB with CSS, no "
        "script; staff pages <=5x; queries: ask form <=2, queue <=6, every page <=10.",
        "HTML gz: gzip level 6, for neighbor pages the heaviest of the six languages. "
        "template: time in the outermost template render less the SQL run inside it; SQL: "
        "all SQL time; failed lookups: template variables that did not resolve, per request.",
    ]
    return table(headers, rows) + "\n" + "\n".join(notes)


def deep_section(result):
    rows = []
    for deep in result["deep_pages"]:
        if "error" in deep:
            rows.append([deep["list"], deep.get("pagination", ""), deep["error"]])
            continue
        rows.append(
            [
                deep["list"],
                deep["pagination"],
                f"{deep['rows_deep']:,}",
                f"{deep['first_median_ms']:.1f}",
                f"{deep['deep_median_ms']:.1f}",
                f"{deep['ratio']:.2f}x (<=1.2x) {mark(deep['ratio'] <= deep['target'])}",
            ]
        )
    text = table(["list", "pagination", "rows deep", "first ms", "deep ms", "deep/first"], rows)
    flagged = []
    for listed in result["plans"]:
        for query in listed["queries"]:
            if query["seq_scan_on_requests"]:
                flagged.append(
                    f"- {listed['list']}: Seq Scan on requests_app_request "
                    f"({query['execution_ms']} ms)\n    {query['sql'][:300]}"
                )
    counted = sum(len(listed["queries"]) for listed in result["plans"])
    text += (
        f"\nEXPLAIN (ANALYZE) of {counted} queries on the requests table from "
        f"{len(result['plans'])} pages: "
    )
    if flagged:
        text += f"{len(flagged)} with a sequential scan of requests_app_request:\n" + "\n".join(
            flagged
        )
    else:
        text += "no sequential scan of requests_app_request."
    return text


def throughput_section(result):
    if "error" in result:
        return result["error"]
    rows = []
    for page in result["pages"]:
        if "error" in page:
            rows.append([page["page"], page["error"]])
            continue
        ok = page["share_of_baseline"] >= page["target_share"] and page["errors"] == 0
        rows.append(
            [
                page["page"],
                f"{page['bytes']:,}",
                f"{page['requests_per_second']:.1f}",
                f"{page['p99_ms']:.0f}" if page["p99_ms"] is not None else "?",
                f"{page['baseline_requests_per_second']:.1f}",
                f"{page['share_of_baseline'] * 100:.1f}% (>={page['target_share'] * 100:.0f}%)",
                page["errors"],
                mark(ok),
            ]
        )
    return (
        table(
            ["page", "bytes", "req/s", "p99 ms", "baseline req/s", "of baseline", "errors", ""],
            rows,
        )
        + f"\nwrk -t{result['threads']} -c{result['connections']} -d{result['seconds']}s "
        "against gunicorn (gunicorn.conf.py) on loopback, wrk and the server sharing the cores."
    )


def crisis_section(name, result):
    if "error" in result:
        return f"{name}: {result['error']}"
    rows = []
    for label, stats in result["stats"].items():
        rows.append(
            [
                label,
                stats["requests"],
                stats["failures"],
                stats["median_ms"],
                stats["p95_ms"],
                stats["p99_ms"],
                f"{stats['requests_per_second']:.1f}",
            ]
        )
    db = result["database"]
    before = result["requests_before"]
    ok = (
        (result["p95_ms"] or 1e9) <= result["p95_target_ms"]
        and result["errors"] == 0
        and db["double_claims"] == 0
    )
    return (
        f"{name}: {result['volunteers']} volunteers + {result['neighbors']} neighbors for "
        f"{result['seconds']} s; the queue held {before['new']:,} new and {before['open']:,} "
        f"open of {before['total']:,} requests\n"
        + table(["", "requests", "failures", "median ms", "p95 ms", "p99 ms", "req/s"], rows)
        + f"\np95 {result['p95_ms']} ms (<= {result['p95_target_ms']}), errors {result['errors']}, "
        f"claims made {db['claims_made']}, requests asked {db['requests_asked']}, "
        f"double claims {db['double_claims']} -> {mark(ok)}"
        + (
            f"\nCPU in cores over the run: gunicorn {result['cores_used']['gunicorn']}, "
            f"locust {result['cores_used']['locust']} (PostgreSQL not counted), of "
            f"{os.cpu_count()}"
            if "cores_used" in result
            else ""
        )
        + (
            "\nfailures: "
            + "; ".join(
                f"{f['occurrences']}x {f['name']}: {f['error']}" for f in result["failures"]
            )
            if result["failures"]
            else ""
        )
    )


def lighthouse_section(result):
    if "error" in result:
        return result["error"]
    rows = []
    for page in result["pages"]:
        median = page["median"]
        rows.append(
            [
                f"{page['page']} ({page['language']})",
                median["performance"],
                median["accessibility"],
                median["best-practices"],
                "; ".join(page["misses"]) or "ok",
            ]
        )
    text = table(["page", "Performance", "Accessibility", "Best Practices", ""], rows)
    text += f"\n{result['version']}, {result['preset']}, median of {result['runs']} runs."
    for page in result["pages"]:
        for category, titles in page["failing_audits"].items():
            if titles:
                text += f"\n  {page['page']} ({page['language']}) {category}: " + "; ".join(titles)
        for error in page["errors"]:
            text += f"\n  {page['page']} ({page['language']}) run failed: {error}"
    return text
