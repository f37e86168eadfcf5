"""Nothing a person typed reaches a page unescaped: `|safe` and `mark_safe` only ever
wrap our own markup, and a script typed into every field comes back as text."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from requests_app.models import EventKind, Translation
from tests.factories import (
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_user,
    make_volunteer,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Every place that turns escaping off, and why it is safe. A new one fails until it is
# looked at and written here.
ALLOWED = {
    # Plain-text emails: not HTML, so escaping would only garble the neighbor's words.
    **{
        f"templates/{path}": "plain-text email"
        for path in (
            "requests_app/email/asked.txt",
            "volunteers/email/approved.txt",
            "volunteers/email/retention.txt",
            "volunteers/email/message.txt",
            "volunteers/email/digest.txt",
            "volunteers/email/password_reset.txt",
            "volunteers/email/outcome.txt",
        )
    },
    # segno draws the QR code's SVG from our own URL alone.
    "volunteers/flyers.py": "segno QR SVG of the network's own ask URL",
    "volunteers/two_factor.py": "segno QR SVG of the device's otpauth URL",
    # format_html escapes its arguments; only our own tags are literal.
    "requests_app/forms.py": "format_html with escaped arguments",
}
UNESCAPING = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|autoescape\s+off|mark_safe\(|format_html\(|SafeString\("
)


def test_escaping_is_turned_off_only_where_a_reason_is_written_down():
    found = set()
    for folder in ("templates", "requests_app", "volunteers", "waltham_aid"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".html", ".txt", ".py"} or "migrations" in path.parts:
                continue
            if UNESCAPING.search(path.read_text(encoding="utf-8")):
                found.add(str(path.relative_to(ROOT)))
    assert found - set(ALLOWED) == set(), "escaping turned off without a written reason"
    assert set(ALLOWED) - found == set(), "a reason listed for a file that no longer needs it"


@pytest.fixture
def hostile_network(db):
    pod = make_pod(PAYLOAD[:70], slug="hostile")
    neighbor = make_neighbor(name=PAYLOAD[:100], address=PAYLOAD, best_time=PAYLOAD[:100])
    helper = make_volunteer(PAYLOAD[:100], pods=[pod])
    aid_request = make_request(neighbor=neighbor, pod=pod, details=PAYLOAD, status="open")
    aid_request.claim(helper)
    aid_request.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text=PAYLOAD)
    aid_request.record(EventKind.NOTE, by=helper.user, text=PAYLOAD)
    Translation.objects.create(
        request=aid_request, language="es", text=PAYLOAD, translator=helper.user
    )
    offer = make_offer(neighbor=neighbor, details=PAYLOAD, availability=PAYLOAD[:100])
    make_resource(name=PAYLOAD[:100], description=PAYLOAD)
    return {"pod": pod, "request": aid_request, "helper": helper, "offer": offer}


def pages(network):
    aid_request, offer = network["request"], network["offer"]
    ref = aid_request.reference
    return {
        "neighbor": [
            reverse("requests_app:status", args=[aid_request.status_token]),
            reverse("requests_app:offer_manage", args=[offer.token]),
            reverse("requests_app:resources"),
        ],
        "helper": [
            reverse("volunteers:queue"),
            reverse("volunteers:request", args=[ref]),
            reverse("volunteers:contact", args=[ref]),
            reverse("volunteers:my_work"),
            reverse("volunteers:offer", args=[offer.reference]),
        ],
        "coordinator": [
            f"{reverse('volunteers:flyers')}?pod=hostile",
            reverse("volunteers:reports"),
            reverse("admin:requests_app_request_changelist"),
            reverse("admin:requests_app_request_change", args=[aid_request.pk]),
            reverse("admin:requests_app_neighbor_change", args=[aid_request.neighbor_id]),
            reverse("admin:requests_app_offer_changelist"),
            reverse("admin:requests_app_resource_changelist"),
            reverse("admin:volunteers_pod_changelist"),
            reverse("admin:volunteers_volunteer_changelist"),
        ],
    }


def test_a_script_typed_anywhere_comes_back_as_text_on_every_page(client, hostile_network):
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)
    coordinator.user_permissions.add(Permission.objects.get(codename="view_contact_details"))
    shown = 0
    for who, urls in pages(hostile_network).items():
        client.logout()
        if who == "helper":
            sign_in(client, hostile_network["helper"])
        elif who == "coordinator":
            sign_in(client, coordinator)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert "<script>alert(1)" not in html, url
            assert "onerror=alert(1)>" not in html, url
            shown += ESCAPED in html
    # The payload really was on the pages (so the checks above could fail).
    assert shown >= 10
