"""Lighthouse 12.8 (npm) with Debian's Chromium, mobile preset (Lighthouse's default: a
mid-range phone on a slow 4G link, simulated), median of 3 runs per page."""

import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

LIGHTHOUSE = "lighthouse@12.8.2"
CHROMIUM = "/usr/bin/chromium"
RUNS = 3
CATEGORIES = ["performance", "accessibility", "best-practices"]
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95}
PAGES = [("home", "es"), ("ask form", "es"), ("home", "ar"), ("ask form", "ar")]
PATHS = {"home": "/{language}/", "ask form": "/{language}/ask/"}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def npx(*args, timeout):
    return subprocess.run(
        ["npx", "--yes", LIGHTHOUSE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )


def unavailable():
    """Why Lighthouse cannot run here, or None when it can."""
    if not shutil.which("npx"):
        return "npx is not installed (Debian package npm)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian package chromium)"
    try:
        answer = npx("--version", timeout=600)
    except subprocess.TimeoutExpired:
        return f"npx --yes {LIGHTHOUSE} --version did not answer within 10 minutes"
    if answer.returncode != 0:
        return (
            f"npx --yes {LIGHTHOUSE} --version exited {answer.returncode}: "
            + (answer.stderr or answer.stdout).strip()[-1500:]
        )
    return None


def failing_audits(report, category):
    audits = report["audits"]
    return sorted(
        audits[ref["id"]]["title"]
        for ref in report["categories"][category]["auditRefs"]
        if ref.get("weight", 0) > 0
        and audits[ref["id"]].get("score") is not None
        and audits[ref["id"]]["score"] < 1
        and audits[ref["id"]].get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"}
    )


def audit_page(url):
    scores = {category: [] for category in CATEGORIES}
    failing, errors = {}, []
    with tempfile.TemporaryDirectory(prefix="waltham-lighthouse-") as folder:
        for run in range(RUNS):
            report_path = Path(folder) / f"run{run}.json"
            try:
                answer = npx(
                    url,
                    "--quiet",
                    "--output=json",
                    f"--output-path={report_path}",
                    "--only-categories=" + ",".join(CATEGORIES),
                    f"--chrome-flags={CHROME_FLAGS}",
                    timeout=240,
                )
            except subprocess.TimeoutExpired:
                errors.append("a run took more than 4 minutes")
                continue
            if answer.returncode != 0 or not report_path.exists():
                errors.append(f"exit {answer.returncode}: {answer.stderr.strip()[-800:]}")
                continue
            report = json.loads(report_path.read_text())
            for category in CATEGORIES:
                score = report["categories"][category]["score"]
                if score is not None:
                    scores[category].append(round(score * 100))
                failing.setdefault(category, failing_audits(report, category))
    medians = {c: statistics.median(v) if v else None for c, v in scores.items()}
    return {"scores": scores, "median": medians, "failing_audits": failing, "errors": errors}


def run(base_url, *, log):
    reason = unavailable()
    if reason:
        return {"error": f"Lighthouse could not run here: {reason}"}
    results = []
    for page, language in PAGES:
        url = base_url.replace("127.0.0.1", "localhost") + PATHS[page].format(language=language)
        log(f"  lighthouse x{RUNS}: {url}")
        result = audit_page(url)
        misses = [
            f"{category} {result['median'][category]} < {target}"
            for category, target in TARGETS.items()
            if result["median"][category] is not None and result["median"][category] < target
        ]
        # The audits behind a missed target; the rest are noise (a metric at 0.99).
        result["failing_audits"] = {
            category: titles
            for category, titles in result["failing_audits"].items()
            if (result["median"][category] or 0) < TARGETS[category]
        }
        results.append({"page": page, "language": language, "url": url, **result, "misses": misses})
    return {"version": LIGHTHOUSE, "preset": "mobile (default)", "runs": RUNS, "pages": results}
