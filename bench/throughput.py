"""Throughput: wrk against gunicorn on loopback, each page next to a baseline view of the
same size under the same load."""

import re
import shutil
import subprocess
import urllib.request
from http.cookies import SimpleCookie

WRK_THREADS = 2
WRK_CONNECTIONS = 16
TARGETS = {"ask form": 0.5, "queue": 0.2}


def fetch(url, cookies):
    """One GET as a browser would make it first: the cookies the page sets come back."""
    request = urllib.request.Request(url)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        jar = dict(cookies)
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.update({key: morsel.value for key, morsel in SimpleCookie(header).items()})
        return body, jar


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, cookies, seconds):
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if cookies:
        command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_second": rate,
        "p99_ms": to_ms(*p99.groups()) if p99 else None,
        "requests": total,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(
            zip(
                ["connect", "read", "write", "timeout"],
                map(int, socket_errors.groups()) if socket_errors else [0, 0, 0, 0],
                strict=True,
            )
        ),
        "output": output,
    }


def run(base_url, volunteer_cookies, *, seconds, log):
    if not shutil.which("wrk"):
        return {"error": "wrk is not installed (Debian package wrk: .ci/system-deps wrk)"}
    results = []
    for name, path, cookies in [
        ("ask form", "/es/ask/", {}),
        ("queue", "/en/work/", volunteer_cookies),
    ]:
        body, jar = fetch(base_url + path, cookies)
        if b"<form" not in body:
            results.append({"page": name, "error": f"{path} did not render its page"})
            continue
        baseline = f"{base_url}/bench/baseline/{len(body)}/"
        log(f"  wrk {seconds} s: baseline of {len(body):,} bytes, then {name}")
        base = wrk(baseline, {}, seconds)
        page = wrk(base_url + path, jar, seconds)
        errors = page["non_2xx"] + sum(page["socket_errors"].values())
        results.append(
            {
                "page": name,
                "path": path,
                "bytes": len(body),
                "requests_per_second": page["requests_per_second"],
                "p99_ms": page["p99_ms"],
                "errors": errors,
                "baseline_requests_per_second": base["requests_per_second"],
                "baseline_p99_ms": base["p99_ms"],
                "share_of_baseline": page["requests_per_second"] / base["requests_per_second"],
                "target_share": TARGETS[name],
                "wrk_output": page["output"],
                "baseline_wrk_output": base["output"],
            }
        )
    return {
        "threads": WRK_THREADS,
        "connections": WRK_CONNECTIONS,
        "seconds": seconds,
        "pages": results,
    }
