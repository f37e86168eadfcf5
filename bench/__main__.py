"""make bench: seed PostgreSQL at network scale, then measure.

    DATABASE_URL=postgres://... python -m bench      (make bench starts a throwaway PostgreSQL)

BENCH_SCALE=0.1 for a quick run; BENCH_STEPS=pages,deep,... to run only some steps
(seed, pages, deep, throughput, lighthouse, crisis, backlog). Prints tables as it goes and
writes everything, plans and raw tool output included, to bench/results.json.
"""

import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
STEPS = ["seed", "pages", "deep", "throughput", "lighthouse", "crisis", "backlog"]
BACKLOG_DATABASE = "waltham_aid_backlog"

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DEBUG"] = "0"
os.environ["HTTPS"] = "0"
# A fresh key per run: nothing signed by the bench outlives it.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def say(text=""):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def load_average():
    return [round(value, 2) for value in os.getloadavg()]


def refuse_a_real_database():
    """The bench writes (a seed, then claims and requests under load): it runs only on an
    empty database or one it seeded itself, never on a network's real one."""
    from django.db import connection

    if "requests_app_request" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM requests_app_request)")
        has_requests = cursor.fetchone()[0]
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM volunteers_pod WHERE slug LIKE 'bench-pod-%%')"
        )
        seeded_here = cursor.fetchone()[0]
    if has_requests and not seeded_here:
        sys.exit(
            "bench: this database holds requests the bench did not make; refusing to write "
            "to it. make bench starts its own throwaway PostgreSQL."
        )


class Bench:
    def __init__(self):
        import django

        django.setup()
        from django.db import connection

        self.scale = float(os.environ.get("BENCH_SCALE", "1"))
        chosen = os.environ.get("BENCH_STEPS", "")
        self.steps = [step for step in STEPS if not chosen or step in chosen.split(",")]
        self.database_url = os.environ["DATABASE_URL"]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        self.results = {
            "scale": self.scale,
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "postgresql": server,
                "load_average_at_start": load_average(),
            },
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        }
        self.work_dir = Path(tempfile.mkdtemp(prefix="waltham-bench-"))
        self.cookies = None

    def step(self, name, function, section):
        if name not in self.steps:
            return None
        log(f"== {name}")
        started = time.monotonic()
        load_before = load_average()[0]
        try:
            result = function()
        except Exception as error:  # a broken step is reported; the others still run
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
        result["step_seconds"] = round(time.monotonic() - started, 1)
        # Other work on the machine slows every number: say how busy it was.
        result["load_average_1min"] = [load_before, load_average()[0]]
        self.results[name] = result
        self.save()
        try:
            text = result["error"] if set(result) == {"error", "step_seconds"} else section(result)
        except Exception as error:
            traceback.print_exc()
            text = f"(the table could not be printed: {error}; see {RESULTS.name})"
        say(
            f"\n## {name} ({result['step_seconds']:.0f} s, load average "
            f"{load_before} -> {result['load_average_1min'][1]})\n{text}"
        )
        return result

    def save(self):
        self.results["machine"]["load_average_now"] = load_average()
        RESULTS.write_text(json.dumps(self.results, indent=2, default=str))

    # --- steps --------------------------------------------------------------------------

    def seed(self):
        from io import StringIO

        from django.core.management import call_command

        from requests_app.models import Request

        if Request.objects.exists():
            return {"summary": "already seeded, kept as it was", "seconds": 0}
        out = StringIO()
        started = time.monotonic()
        call_command("seed_network_scale", scale=self.scale, stdout=out)
        return {"summary": out.getvalue().strip(), "seconds": time.monotonic() - started}

    def people_cookies(self):
        if self.cookies is None:
            from bench.harness import session_cookies
            from bench.pages import cast

            people = cast()
            self.cookies = {"anonymous": {}}
            for who in ["volunteer", "point person", "coordinator"]:
                self.cookies[who] = session_cookies(people[who].user)
        return self.cookies

    def pages(self):
        from bench import pages

        reps = int(os.environ.get("BENCH_REPS", "30"))
        return pages.run(reps=reps, budget_seconds=20, log=log)

    def deep(self):
        from bench import deep

        rows = self.results.get("pages", {}).get("pages")
        if not rows:
            from bench.pages import cast, page_list

            rows = [
                {"page": p.name, "url": p.url, "who": p.who, "kind": p.kind}
                for p in page_list(cast())
            ]
        return deep.run(rows, self.people_cookies(), scale=self.scale, reps=10, log=log)

    def served(self, function):
        from bench.server import gunicorn

        with gunicorn(self.database_url, log_dir=self.work_dir) as base_url:
            return function(base_url)

    def throughput(self):
        from bench import throughput

        seconds = int(os.environ.get("BENCH_WRK_SECONDS", "20" if self.scale >= 1 else "15"))
        volunteer = self.people_cookies()["volunteer"]
        return self.served(lambda url: throughput.run(url, volunteer, seconds=seconds, log=log))

    def lighthouse(self):
        from bench import lighthouse

        return self.served(lambda url: lighthouse.run(url, log=log))

    def crisis_in(self, database_url):
        out = self.work_dir / f"crisis-{time.monotonic_ns()}.json"
        subprocess.run(
            [sys.executable, "-m", "bench.crisis", str(out)],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
        )
        return json.loads(out.read_text())

    def crisis(self):
        return self.crisis_in(self.database_url)

    def backlog(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{BACKLOG_DATABASE}"')
            cursor.execute(f'CREATE DATABASE "{BACKLOG_DATABASE}"')
        backlog_url = self.database_url.rsplit("/", 1)[0] + f"/{BACKLOG_DATABASE}"
        env = {**os.environ, "DATABASE_URL": backlog_url}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity=0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [*manage, "seed_network_scale", "--profile=backlog"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout.strip()
        result = self.crisis_in(backlog_url)
        result["seed"] = seeded
        return result

    def run(self):
        from bench import report

        say(
            f"Waltham Aid bench, scale {self.scale}, {self.results['machine']['cores']} cores, "
            f"PostgreSQL {self.results['machine']['postgresql']}, load average "
            f"{self.results['machine']['load_average_at_start']}"
        )
        from django.core.management import call_command

        refuse_a_real_database()
        call_command("migrate", verbosity=0)
        # Hashed, compressed static files, as make serve makes them.
        call_command("collectstatic", verbosity=0, interactive=False)
        self.step("seed", self.seed, report.seed_section)
        self.step("pages", self.pages, report.pages_section)
        self.step("deep", self.deep, report.deep_section)
        self.step("throughput", self.throughput, report.throughput_section)
        self.step("lighthouse", self.lighthouse, report.lighthouse_section)
        self.step("crisis", self.crisis, lambda r: report.crisis_section("Crisis load", r))
        self.step(
            "backlog",
            self.backlog,
            lambda r: report.crisis_section(f"Backlog ({r.get('seed', '')})", r),
        )
        self.results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        self.save()
        say(
            f"\nLoad average at the end {self.results['machine']['load_average_now']}. "
            f"Everything, with query plans and raw tool output: {RESULTS.relative_to(ROOT)}"
        )


if __name__ == "__main__":
    Bench().run()
