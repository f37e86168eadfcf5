"""The crisis load: locust (bench/locustfile.py) against gunicorn on loopback, then the
database is asked whether any request was claimed twice.

Runs in its own process, against the database in DATABASE_URL, so the bench can point it
at the crisis database and at the backlog one:
    python -m bench.crisis OUT.json
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import django

VOLUNTEERS = 100
NEIGHBORS = 20
SECONDS = int(os.environ.get("BENCH_LOCUST_SECONDS", "60"))
P95_TARGET_MS = 300


def locust_stats(prefix):
    """Per name and aggregated: requests, failures, median, p95, p99 (ms)."""
    rows = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "median_ms": float(row["50%"]) if row["50%"] != "N/A" else None,
                "p95_ms": float(row["95%"]) if row["95%"] != "N/A" else None,
                "p99_ms": float(row["99%"]) if row["99%"] != "N/A" else None,
                "requests_per_second": float(row["Requests/s"]),
            }
    failures = []
    with open(f"{prefix}_failures.csv") as failed:
        failures = [
            {"name": row["Name"], "error": row["Error"], "occurrences": int(row["Occurrences"])}
            for row in csv.DictReader(failed)
        ]
    return rows, failures


def cpu(times):
    return times.children_user + times.children_system


def claims_check(since):
    """What the database holds after the load: claims made, and any made twice."""
    from django.db import connection

    checks = {
        "claims_made": "SELECT count(*) FROM requests_app_claim WHERE claimed_at >= %(since)s",
        "requests_asked": "SELECT count(*) FROM requests_app_request WHERE created_at >= %(since)s",
        "requests_with_two_claims_during_load": """
            SELECT count(*) FROM (
                SELECT request_id FROM requests_app_claim WHERE claimed_at >= %(since)s
                GROUP BY request_id HAVING count(*) > 1) twice""",
        "requests_with_two_claimed_events_during_load": """
            SELECT count(*) FROM (
                SELECT request_id FROM requests_app_event
                WHERE kind = 'claimed' AND created_at >= %(since)s
                GROUP BY request_id HAVING count(*) > 1) twice""",
        "requests_with_two_active_claims": """
            SELECT count(*) FROM (
                SELECT request_id FROM requests_app_claim WHERE released_at IS NULL
                GROUP BY request_id HAVING count(*) > 1) twice""",
        "claimed_requests_without_an_active_claim": """
            SELECT count(*) FROM requests_app_request r WHERE r.status = 'claimed'
            AND NOT EXISTS (SELECT 1 FROM requests_app_claim c
                            WHERE c.request_id = r.id AND c.released_at IS NULL)""",
    }
    with connection.cursor() as cursor:
        found = {}
        for name, sql in checks.items():
            cursor.execute(sql, {"since": since})
            found[name] = cursor.fetchone()[0]
    found["double_claims"] = (
        found["requests_with_two_claims_during_load"]
        + found["requests_with_two_claimed_events_during_load"]
        + found["requests_with_two_active_claims"]
    )
    return found


def main(out_path):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.db.models import Count, Q
    from django.utils import timezone

    from bench.harness import session_cookies
    from bench.server import ROOT, gunicorn
    from requests_app.models import Request, RequestStatus
    from volunteers.models import Volunteer

    volunteers = (
        Volunteer.objects.approved()
        .filter(user__is_staff=False)
        .select_related("user")
        .order_by("pk")[:VOLUNTEERS]
    )
    work_dir = Path(tempfile.mkdtemp(prefix="waltham-crisis-"))
    sessions = work_dir / "sessions.json"
    sessions.write_text(json.dumps([session_cookies(v.user) for v in volunteers]))
    queue = Request.objects.aggregate(
        open=Count("pk", filter=Q(status=RequestStatus.OPEN)),
        new=Count("pk", filter=Q(status=RequestStatus.NEW)),
        total=Count("pk"),
    )
    since = timezone.now()
    # CPU seconds of waited-for children: locust while it runs, gunicorn once it is stopped.
    before = os.times()
    with gunicorn(
        os.environ["DATABASE_URL"], log_dir=work_dir, TRUST_X_FORWARDED_FOR="1"
    ) as base_url:
        locust = subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--users",
                str(VOLUNTEERS + NEIGHBORS),
                "--spawn-rate",
                "20",
                "--run-time",
                f"{SECONDS}s",
                "--stop-timeout",
                "15",
                "--host",
                base_url,
                "--csv",
                str(work_dir / "locust"),
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "BENCH_SESSIONS": str(sessions),
                "BENCH_VOLUNTEERS": str(VOLUNTEERS),
                "BENCH_NEIGHBORS": str(NEIGHBORS),
            },
            capture_output=True,
            text=True,
            timeout=SECONDS + 180,
        )
        after_locust = os.times()
    after_server = os.times()
    stats, failures = locust_stats(work_dir / "locust")
    total = stats.get("Aggregated", {})
    result = {
        "volunteers": VOLUNTEERS,
        "neighbors": NEIGHBORS,
        "seconds": SECONDS,
        "requests_before": queue,
        "stats": stats,
        "failures": failures,
        "p95_ms": total.get("p95_ms"),
        "p95_target_ms": P95_TARGET_MS,
        "errors": total.get("failures"),
        "database": claims_check(since),
        "cores_used": {
            "locust": round((cpu(after_locust) - cpu(before)) / SECONDS, 2),
            "gunicorn": round((cpu(after_server) - cpu(after_locust)) / SECONDS, 2),
        },
        "locust_exit_code": locust.returncode,
        "locust_output_tail": (locust.stdout + locust.stderr)[-3000:],
    }
    Path(out_path).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
