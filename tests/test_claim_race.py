"""Two volunteers press "Claim" at the same moment: exactly one wins, on real PostgreSQL."""

import threading
import time

import pytest
from django.db import connection, transaction

from requests_app.models import Claim, EventKind, Request
from tests.factories import make_request, make_volunteer
from volunteers.services import AlreadyTaken, claim_request

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target):
    """Run in a thread with its own database connection, closed at the end."""

    def run():
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until_a_query_waits_for_a_lock(timeout=10, *, count=1):
    """Until `count` connections wait for a row another one holds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} never waited for a lock (the second claim for the first)")


def test_the_second_claim_waits_for_the_first_and_is_told_who_won(pod):
    aid_request = make_request(pod=pod)
    ana, ben = make_volunteer("Ana", pods=[pod]), make_volunteer("Ben", pods=[pod])
    first_holds_the_row = threading.Event()
    let_first_commit = threading.Event()
    outcome = {}

    def first():
        with transaction.atomic():
            claim_request(Request.objects.get(pk=aid_request.pk), volunteer=ana)
            first_holds_the_row.set()
            let_first_commit.wait(10)
        outcome["first"] = "claimed"

    def second():
        stale = Request.objects.get(pk=aid_request.pk)  # still says "new"
        try:
            claim_request(stale, volunteer=ben)
            outcome["second"] = "claimed"
        except AlreadyTaken as taken:
            outcome["second"] = f"already taken by {taken.holder.name}"

    first_thread = in_thread(first)
    assert first_holds_the_row.wait(10)
    second_thread = in_thread(second)
    wait_until_a_query_waits_for_a_lock()
    let_first_commit.set()
    first_thread.join(10)
    second_thread.join(10)

    assert outcome == {"first": "claimed", "second": "already taken by Ana"}
    assert Claim.objects.filter(request=aid_request).count() == 1
    assert aid_request.events.filter(kind=EventKind.CLAIMED).count() == 1


def test_twenty_volunteers_claiming_at_once_make_exactly_one_claim(pod):
    aid_request = make_request(pod=pod)
    volunteers = [make_volunteer(f"Volunteer {n}", pods=[pod]) for n in range(20)]
    start = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def press_claim(volunteer):
        start.wait(10)
        try:
            claim_request(Request.objects.get(pk=aid_request.pk), volunteer=volunteer)
            result = "claimed"
        except AlreadyTaken:
            result = "refused"
        with lock:
            results.append(result)

    threads = [in_thread(lambda v=v: press_claim(v)) for v in volunteers]
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["claimed"] + ["refused"] * 19
    assert Claim.objects.filter(request=aid_request).count() == 1
    assert aid_request.events.filter(kind=EventKind.CLAIMED).count() == 1
