"""A neighbor's contact details stay where they belong: never in a log line, never on a
page served to someone who is not entitled to them.

We plant unmistakable details (the 555-0142 phone number, 77 Sentinel St) and look for
every way they could be written, in every log record of a whole story and in the body of
every page of the project, fetched as each role that must not see them. The volunteer
who claimed the request does see them: that is the control that proves the search works.
"""

import io
import logging
import re
import smtplib
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app.models import AppliesTo, Neighbor, Request
from tests import test_every_url_has_an_access_rule as every_url
from tests.factories import (
    ask_data,
    form_started,
    make_category,
    make_user,
    make_volunteer,
    sign_in,
)
from volunteers.models import Pod

pytestmark = pytest.mark.django_db

NAME = "Sentinel Neighbor"
PHONE = "+1 617 555 0142"  # stored as +16175550142
EMAIL = "sentinel@example.org"
ADDRESS = "77 Sentinel St"

# The phone as stored and as people write it, the address, the email and the name.
TRACES = [
    "+16175550142",
    "6175550142",
    "617 555 0142",
    "617-555-0142",
    "555-0142",
    "5550142",
    ADDRESS,
    "Sentinel St",
    EMAIL,
    NAME,
    "sentinel",
]
# "(617) 555.0142", "555 - 0142", "555&#45;0142": the digits, whatever is between them.
PHONE_ANYHOW = re.compile(r"555\W{0,8}0142")


def traces_in(text):
    found = [trace for trace in TRACES if trace.lower() in text.lower()]
    return found + PHONE_ANYHOW.findall(text)


def test_the_search_finds_every_way_the_details_are_written():
    for written in [
        "Call +16175550142",
        "(617) 555-0142",
        "617.555.0142",
        "tel:%2B16175550142",
        "SENTINEL@EXAMPLE.ORG",
        "77 sentinel st",
    ]:
        assert traces_in(written), written
    assert not traces_in("Call the network at (781) 555-0100, reference K7QX-2M")


# --- Logs: a whole story, every record --------------------------------------------------


class KeepEverything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def every_log_record(caplog):
    """Every record of every logger at DEBUG and up, for the whole test. caplog hears the
    root; loggers that do not propagate (and their children) get a handler of their own,
    and loggers with a level of their own ("django" is INFO) are opened to DEBUG."""
    caplog.set_level(logging.DEBUG)
    handler = KeepEverything()
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    listening = [logging.getLogger(), logging.getLogger("django")]
    listening += [logger for logger in loggers if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for logger in listening:
        logger.addHandler(handler)
    yield lambda: [*caplog.records, *handler.records]
    for logger in listening:
        logger.removeHandler(handler)
    for logger, level in levels.items():
        logger.setLevel(level)


def everything_written(record):
    """The record as any handler could write it: its message, its arguments, its
    exception and every extra attribute."""
    formatter = logging.Formatter()
    parts = [record.getMessage(), repr(record.msg), repr(record.args), repr(vars(record))]
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@pytest.fixture
def network(pod):
    point_person = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    pod.point_people.add(point_person)
    claimer = make_volunteer("Cleo", pods=[pod])
    coordinator = make_volunteer("Maria", groups=["Coordinator"])
    for volunteer, email in [
        (point_person, "paula@example.net"),
        (claimer, "cleo@example.net"),
        (coordinator, "maria@example.net"),
    ]:
        # Volunteers sign in with their email address as their user name.
        volunteer.user.username = volunteer.user.email = email
        volunteer.user.is_staff = volunteer is coordinator
        volunteer.user.save(update_fields=["username", "email", "is_staff"])
    return point_person, claimer, coordinator


def test_a_whole_story_leaves_no_contact_details_in_any_log_line(
    pod, network, every_log_record, django_capture_on_commit_callbacks
):
    point_person, claimer, coordinator = network
    neighbor_browser = Client()
    helpers = {who: sign_in(Client(), who) for who in network}

    def send(client, method, url, data=None):
        # Emails go out on commit, as in production, so sending them is part of the story.
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client, method)(url, data or {})

    # A neighbor asks for two things; nobody triages the second one for days.
    rides = make_category("rides", applies_to=AppliesTo.NEEDS)
    asked = send(
        neighbor_browser,
        "post",
        reverse("requests_app:ask"),
        ask_data(
            needs=[str(make_category("groceries").pk), str(rides.pk)],
            name=NAME,
            phone=PHONE,
            email=EMAIL,
            address=ADDRESS,
            share_with_point_people="no",
        ),
    )
    assert asked.status_code == 302
    groceries, ride = Request.objects.filter(neighbor__email=EMAIL).order_by("category__slug")
    token = groceries.status_token
    assert Neighbor.objects.get(email=EMAIL).phone == "+16175550142"
    send(neighbor_browser, "get", asked["Location"])
    send(neighbor_browser, "get", reverse("requests_app:status", args=[token]))

    # The point person triages; a volunteer claims, looks them up, writes and closes.
    reference = groceries.reference
    send(
        helpers[point_person],
        "post",
        reverse("volunteers:triage", args=[reference]),
        {"pod": pod.pk, "urgency": 2},
    )
    send(helpers[claimer], "post", reverse("volunteers:claim", args=[reference]))
    contact_page = send(helpers[claimer], "get", reverse("volunteers:contact", args=[reference]))
    assert traces_in(contact_page.content.decode()), "the claimer sees how to reach them"
    send(
        helpers[claimer],
        "post",
        reverse("volunteers:message", args=[reference]),
        {"text": "I can bring the groceries on Tuesday evening."},
    )
    send(
        neighbor_browser,
        "post",
        reverse("requests_app:send_message", args=[token, reference]),
        {"text": "Tuesday is perfect, thank you!", "started": form_started()},
    )
    send(
        helpers[claimer],
        "post",
        reverse("volunteers:close", args=[reference]),
        {"outcome": "fulfilled"},
    )
    assert Request.objects.get(pk=groceries.pk).status == "fulfilled"

    # A coordinator looks at the request and the neighbor, searches, and exports.
    coordinator_browser = helpers[coordinator]
    for url in [
        reverse("admin:requests_app_request_change", args=[groceries.pk]),
        reverse("admin:requests_app_neighbor_change", args=[groceries.neighbor_id]),
        reverse("admin:requests_app_request_changelist") + "?q=617-555-0142",
        reverse("admin:requests_app_neighbor_changelist") + "?q=Sentinel",
    ]:
        assert send(coordinator_browser, "get", url).status_code == 200, url
    export = send(
        coordinator_browser,
        "post",
        reverse("admin:requests_app_request_changelist"),
        {"action": "export_csv", "_selected_action": [groceries.pk, ride.pk]},
    )
    csv_text = b"".join(export.streaming_content).decode()
    assert reference in csv_text
    assert not traces_in(csv_text), "the export without contact details has none"

    # Someone types the neighbor's email as a user name; a volunteer leaves.
    send(
        Client(),
        "post",
        reverse("volunteers:login"),
        {"username": EMAIL, "password": "not their password"},
    )
    send(
        Client(),
        "post",
        reverse("volunteers:login"),
        {"username": "paula@example.net", "password": "a wrong guess"},
    )
    send(
        coordinator_browser,
        "post",
        reverse("admin:volunteers_volunteer_changelist"),
        {"action": "deactivate", "_selected_action": [claimer.pk]},
    )

    # Days pass: the follow-ups chase the untriaged ride (and write what they did).
    Request.objects.filter(pk=ride.pk).update(created_at=timezone.now() - timedelta(days=3))
    out, err = io.StringIO(), io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_followups", stdout=out, stderr=err)
    assert "Emails sent: " in out.getvalue()

    # The neighbor erases their details.
    send(neighbor_browser, "post", reverse("requests_app:erase_contact", args=[token]))
    assert Neighbor.objects.get(pk=groceries.neighbor_id).phone == ""

    records = every_log_record()
    leaks = {
        f"{record.name}: {record.getMessage()}": traces
        for record in records
        if (traces := traces_in(everything_written(record)))
    }
    assert not leaks, f"contact details in the logs: {leaks}"
    assert not traces_in(out.getvalue() + err.getvalue()), "run_followups printed them"
    to_helpers = [message for message in mail.outbox if EMAIL not in message.to]
    assert to_helpers, "the follow-ups wrote to the point person and the coordinator"
    for message in to_helpers:
        bodies = [message.subject, message.body, *(part for part, _type in message.alternatives)]
        assert not traces_in("\n".join(bodies)), f"email to {message.to} names the neighbor"

    # Who did what to which record, and when (each record carries its time), naming
    # people by their login's record number: their user names are their email addresses.
    written = "\n".join(record.getMessage() for record in records)
    for line in [
        f"Request {reference} claimed by user {claimer.user.pk}",
        f"Contact details of request {reference} viewed by user {claimer.user.pk}",
        f"Request {reference} closed as fulfilled by user {claimer.user.pk}",
        f"2 requests exported without contact details by user {coordinator.user.pk}",
        "Sign-in failed for no such account",
        f"Sign-in failed for user {point_person.user.pk}",
        f"user {claimer.user.pk} deactivated by user {coordinator.user.pk}",
        f"Contact details of neighbor {groceries.neighbor_id} erased",
    ]:
        assert line in written, f"no log line says: {line}"
    volunteer_addresses = [volunteer.user.email for volunteer in network]
    named = {
        f"{record.name}: {record.getMessage()}"
        for record in records
        for address in volunteer_addresses
        if address in everything_written(record)
    }
    assert not named, f"volunteers' email addresses in the logs: {named}"


class RefusingMailServer(BaseEmailBackend):
    """A mail server that refuses the neighbor's address, as one does after a typo: the
    error it raises names the address."""

    def send_messages(self, email_messages):
        for message in email_messages:
            raise smtplib.SMTPRecipientsRefused(
                {address: (550, b"5.1.1 User unknown") for address in message.to}
            )


def test_an_email_the_server_refuses_is_logged_without_the_neighbors_address(
    settings, every_log_record, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("requests_app:ask"),
            ask_data(name=NAME, phone=PHONE, email=EMAIL, address=ADDRESS),
        )

    assert response.status_code == 302, "the request is saved all the same"
    records = every_log_record()
    neighbor = Neighbor.objects.get(email=EMAIL)
    assert any(
        f"Could not email neighbor {neighbor.pk}" in record.getMessage() for record in records
    ), "the failure is still logged, by record number"
    leaks = [record.getMessage() for record in records if traces_in(everything_written(record))]
    assert not leaks, f"contact details in the logs: {leaks}"


# --- Pages: every page of the project, as everyone who is not entitled ----------------

NOT_ENTITLED = [
    "anonymous",
    "volunteer",  # in the pod, did not claim it
    "volunteer_elsewhere",
    "point_person_elsewhere",
    "point_person",  # leads the pod, but the neighbor did not agree to share with them
    "coordinator_first_step_only",  # no code from the phone yet
    "staff_without_contact_permission",  # in the admin, past the second step
]


@pytest.fixture
def planted():
    """The access matrix's world, its neighbor carrying the planted details and NOT
    agreeing to share them with the pod's point people; and two more people."""
    world = every_url.build_world(
        name=NAME,
        phone="+16175550142",
        email=EMAIL,
        address=ADDRESS,
        best_time="Evenings",
        share_with_point_people=False,
    )
    elsewhere = Pod.objects.get(pk=world.elsewhere_pk)
    elsewhere_lead = make_volunteer("Pia", pods=[elsewhere], groups=["Volunteer", "Point person"])
    elsewhere.point_people.add(elsewhere_lead)
    # Everything a coordinator may do in the admin, except seeing contact details.
    viewer = make_user("viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(group__name="Coordinator").exclude(
            codename="view_contact_details"
        )
    )
    world.sessions["point_person_elsewhere"] = session_of(sign_in(Client(), elsewhere_lead))
    world.sessions["staff_without_contact_permission"] = session_of(sign_in(Client(), viewer))
    return world


def session_of(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def every_page(world):
    """Every URL of the project a GET opens, with the neighbor's real references and
    private links: from the access matrix, so a new page is searched here too."""
    for key in every_url.URLS:
        for rule in every_url.rules_for(key):
            if rule.get != every_url.POST_ONLY:
                yield rule.url(world, "neighbor")


def body_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return f"{response.get('Location', '')}\n{content.decode(errors='replace')}"


@pytest.mark.parametrize("role", NOT_ENTITLED)
def test_no_page_shows_contact_details_to_anyone_not_entitled(planted, role):
    client = every_url.client_for(planted, role)
    pages = list(every_page(planted))
    shown = {}
    for url in pages:
        if traces := traces_in(body_of(client.get(url))):
            shown[url] = traces
    assert len(pages) > 100, "the walk reached every page"
    assert not shown, f"contact details shown to {role}: {shown}"


def test_the_claimer_does_see_them_so_the_search_can_fail(planted):
    client = every_url.client_for(planted, "claimer")
    response = client.get(reverse("volunteers:contact", args=[planted.claimed_reference]))
    assert response.status_code == 200
    found = traces_in(body_of(response))
    assert "Sentinel Neighbor" in found
    assert "77 Sentinel St" in found
    assert PHONE_ANYHOW.search(response.content.decode())
