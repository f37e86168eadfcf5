"""Keep the network's promise: nothing silently rots in a queue. Safe to run every 15
minutes from cron or a systemd timer; running it twice in a row sends nothing twice."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from requests_app.models import Notice
from volunteers.followups import run_followups
from volunteers.retention import run_retention

PROGRESS_FROM_ROWS = 200


class Command(BaseCommand):
    help = (
        "Send reminders, escalate, release stale claims; one digest email per person. "
        "Then erase contact details past the retention period, and warn coordinators first."
    )

    def handle(self, *args, **options):
        def progress(rows):
            rows = list(rows)
            if len(rows) < PROGRESS_FROM_ROWS or not sys.stderr.isatty():
                return rows
            return tqdm(rows, file=sys.stderr, unit="request")

        run = run_followups(progress=progress)
        for notice in Notice:
            self.stdout.write(f"{notice.label}: {run.done[notice]}")
        self.stdout.write(self.style.SUCCESS(f"Emails sent: {run.done['emails']}"))
        if run.done["email_failures"]:
            self.stderr.write(f"Emails that could not be sent: {run.done['email_failures']}")
        if run.done["nobody_to_tell"]:
            self.stderr.write(
                f"Notices nobody could be emailed (no coordinator has an email address), "
                f"left for the next run: {run.done['nobody_to_tell']}"
            )
        retention = run_retention(progress=progress)
        self.stdout.write(f"Contact details erased: {retention.done['erased']}")
        self.stdout.write(
            "Requests whose words went after help finished on an erased record: "
            f"{retention.done['words_erased']}"
        )
        if retention.done["erase_retries"]:
            self.stdout.write(
                f"Due but busy, left for the next run: {retention.done['erase_retries']}"
            )
        self.stdout.write(f"Erasures announced to coordinators: {retention.done['noticed']}")
        self.stdout.write(f"Rate-limit counters forgotten: {retention.done['counters_forgotten']}")
        if retention.done["email_failures"]:
            self.stderr.write(
                f"Retention emails that could not be sent: {retention.done['email_failures']}"
            )
