"""What people write never reaches a page as markup.

Two checks:
- a static one: every way a template or our Python can switch Django's escaping off is
  listed here with the reason it is safe, and anything new fails until someone looks;
- a dynamic one: a network whose every text field is a script, rendered on every page that
  shows it. The raw script never appears; its escaped form appears where the value shows.
"""

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import escape

from requests_app.models import (
    AuditAction,
    AuditEntry,
    EventKind,
    RequestStatus,
    Translation,
)
from tests.factories import (
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_volunteer,
    sign_in,
)

ROOT = Path(settings.BASE_DIR)

# --- Static: every way around autoescaping, with its reason ------------------------------

TEMPLATE_ESCAPES_OFF = {
    "|safe": re.compile(r"\|\s*safe\b"),
    "|safeseq": re.compile(r"\|\s*safeseq\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off\s*%}"),
    "filter safe": re.compile(r"{%\s*filter\b[^%]*\bsafe"),
}
PYTHON_ESCAPES_OFF = {
    "mark_safe(": re.compile(r"\bmark_safe\("),
    "format_html(": re.compile(r"\bformat_html(_join)?\("),
    "SafeString": re.compile(r"\bSafe(String|Text)\b"),
    "html_safe": re.compile(r"\bhtml_safe\b"),
    "is_safe=True": re.compile(r"\bis_safe\s*=\s*True"),
}

# (file, or a glob of files; what) -> why it is safe. Every entry must still be needed.
ALLOWED = {
    ("templates/*/email/*.txt", "autoescape off"): (
        "plain-text email bodies (text/plain): HTML escaping would show &amp; to the reader"
    ),
    ("requests_app/forms.py", "format_html("): (
        "a need's label: format_html escapes the category's name and description"
    ),
    ("requests_app/admin.py", "format_html("): (
        "a neighbor's page links to their requests and offers: format_html escapes the "
        "reversed URL, the record's id and the translated count"
    ),
    ("requests_app/admin_paging.py", "format_html("): (
        "each admin row's checkbox: format_html escapes the object's id and name "
        "(test_admin_long_lists compares it with Django's own, for a name full of markup)"
    ),
    ("volunteers/flyers.py", "mark_safe("): (
        "the door flyer's QR code: SVG that segno draws from our own ask URL"
    ),
    ("volunteers/two_factor.py", "mark_safe("): (
        "the two-step set-up QR code: SVG that segno draws from the device's otpauth URL"
    ),
    ("waltham_aid/widgets.py", "format_html("): (
        "PlainSelect: format_html escapes the field's name and attributes"
    ),
    ("waltham_aid/widgets.py", "mark_safe("): (
        "PlainSelect's options: each value and label escaped in _option (test_drawn_forms "
        "compares the whole <select> with Django's)"
    ),
    ("waltham_aid/templatetags/drawn_forms.py", "mark_safe("): (
        "form fields as crispy-forms' templates drew them, autoescaped, kept as drawn"
    ),
}

TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# Tests never serve a page; the virtualenv and caches are not ours.
NOT_OURS = {".venv", "tests", ".cache", "node_modules", "staticfiles", ".git"}


def our_python_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if not NOT_OURS & set(relative.parts[:-1]) and "egg-info" not in str(relative):
            yield path


def escapes_off(text, patterns):
    """Each (what, line number) in a file's text where escaping is switched off."""
    return [
        (what, number)
        for number, line in enumerate(text.splitlines(), start=1)
        for what, pattern in patterns.items()
        if pattern.search(line)
    ]


def every_escape_off():
    found = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                found += [(path, *hit) for hit in escapes_off(text, TEMPLATE_ESCAPES_OFF)]
    for path in our_python_files():
        found += [(path, *hit) for hit in escapes_off(path.read_text(), PYTHON_ESCAPES_OFF)]
    return [(str(path.relative_to(ROOT)), what, number) for path, what, number in found]


def allowed_by(path, what):
    return next(
        (key for key in ALLOWED if key[1] == what and fnmatch(path, key[0])),
        None,
    )


def test_the_scan_sees_each_way_around_escaping():
    """The scan itself can fail: each pattern catches what it is meant to."""
    assert [w for w, _ in escapes_off("{{ note|safe }}", TEMPLATE_ESCAPES_OFF)] == ["|safe"]
    assert [w for w, _ in escapes_off("{{ a|safeseq }}", TEMPLATE_ESCAPES_OFF)] == ["|safeseq"]
    assert escapes_off("{% autoescape off %}", TEMPLATE_ESCAPES_OFF)
    assert escapes_off("{% filter force_escape|safe %}", TEMPLATE_ESCAPES_OFF)
    assert not escapes_off("{{ safety }} {{ note|safe_join }}", TEMPLATE_ESCAPES_OFF)
    for line in [
        "x = mark_safe(text)",
        "format_html('<b>{}</b>', name)",
        "format_html_join('', '{}', rows)",
        "SafeString(text)",
        "@register.filter(is_safe=True)",
    ]:
        assert escapes_off(line, PYTHON_ESCAPES_OFF), line


def test_every_way_around_escaping_is_listed_with_its_reason():
    found = every_escape_off()
    unexplained = [hit for hit in found if allowed_by(hit[0], hit[1]) is None]
    assert not unexplained, (
        "escaping is switched off without a reason in ALLOWED (render the value escaped, "
        f"or add a line saying why it is safe): {unexplained}"
    )
    used = {allowed_by(path, what) for path, what, _number in found}
    assert not set(ALLOWED) - used, f"no longer needed in ALLOWED: {set(ALLOWED) - used}"


def test_plain_text_email_is_never_sent_as_html():
    """The one place autoescaping is off for a whole template: it must stay plain text."""
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*"):
            if path.is_file() and TEMPLATE_ESCAPES_OFF["autoescape off"].search(path.read_text()):
                assert path.suffix == ".txt", path


# --- Dynamic: a network written by someone hostile --------------------------------------


def payload(tag):
    """A script and an image handler, quotes and an ampersand, tagged with where it is."""
    return f'<script>alert("{tag}")</script><img src=x onerror=alert(1)>"\'&'


SHORT = "<svg onload=1>\"'&"  # for the columns that hold 20 characters
RAW = ["<script>alert(", "<img src=x onerror", "<svg onload"]


@pytest.fixture
def hostile_network(db, client):
    pod = make_pod(
        payload("pod.name"),
        description=payload("pod.description"),
        area_description=payload("pod.area"),
    )
    category = make_category(
        "hostile", name=payload("category.name"), description=payload("category.desc")
    )
    resource = make_resource(
        payload("resource.name"),
        categories=[category],
        description=payload("resource.description"),
        hours=payload("resource.hours"),
        address=payload("resource.address"),
        phone=SHORT,
        website="https://example.org/?q=" + payload("resource.website"),
    )
    coordinator = make_volunteer(
        payload("volunteer.name"),
        pods=[pod],
        groups=["Volunteer", "Coordinator"],
        email=payload("volunteer.email"),
        phone=SHORT,
        availability=payload("volunteer.avail"),
        share_phone_on_flyer=True,
    )
    user = coordinator.user
    user.first_name = payload("user.first_name")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["first_name", "is_staff", "is_superuser"])
    pod.point_people.add(coordinator)
    neighbor = make_neighbor(
        name=payload("neighbor.name"),
        phone=SHORT,
        email=payload("neighbor.email"),
        best_time=payload("neighbor.best_time"),
        address=payload("neighbor.address"),
        pod=pod,
    )
    open_request = make_request(
        neighbor=neighbor, category=category, pod=pod, details=payload("request.details")
    )
    closed_request = make_request(
        neighbor=neighbor,
        category=category,
        pod=pod,
        status_token=open_request.status_token,
    )
    ben = make_volunteer("Ben", pods=[pod])
    closed_request.claim(ben)
    closed_request.release(by=ben.user, reason=payload("claim.release_reason"))
    closed_request.claim(ben)
    closed_request.close(
        RequestStatus.COULD_NOT_HELP,
        by=ben.user,
        note=payload("request.outcome_note"),
        referral=resource,
    )
    open_request.claim(coordinator)
    message = open_request.record(
        EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text=payload("message.in")
    )
    open_request.record(EventKind.MESSAGE_TO_NEIGHBOR, by=user, text=payload("message.out"))
    open_request.record(EventKind.NOTE, by=user, text=payload("note.text"))
    Translation.objects.create(
        request=open_request,
        event=message,
        language="en",
        text=payload("translation.msg"),
        translator=user,
    )
    Translation.objects.create(
        request=open_request, language="en", text=payload("translation.details"), translator=user
    )
    offer = make_offer(
        category=category,
        pod=pod,
        details=payload("offer.details"),
        availability=payload("offer.availability"),
        area=payload("offer.area"),
    )
    audit = AuditEntry.objects.record(
        AuditAction.SIGNED_IN, by=user, subject=SHORT[:40], detail=payload("audit.detail")
    )
    sign_in(client, user)
    return {
        "client": client,
        "pod": pod,
        "category": category,
        "resource": resource,
        "coordinator": coordinator,
        "user": user,
        "neighbor": neighbor,
        "open": open_request,
        "closed": closed_request,
        "offer": offer,
        "audit": audit,
        "claim": closed_request.claims.first(),
        "event": message,
    }


# page -> (how to reach it, the values it shows)
PAGES = {
    "status page": (
        lambda w: reverse("requests_app:status", args=[w["open"].status_token]),
        [
            "category.name",
            "message.in",
            "message.out",
            "translation.msg",
            "request.outcome_note",
            "resource.name",
            "resource.hours",
        ],
    ),
    "offer manage": (
        lambda w: reverse("requests_app:offer_manage", args=[w["offer"].token]),
        ["category.name"],
    ),
    "resources": (
        lambda w: reverse("requests_app:resources"),
        [
            "resource.name",
            "resource.description",
            "resource.hours",
            "resource.address",
            "resource.website",
            "category.name",
        ],
    ),
    "queue": (
        lambda w: reverse("volunteers:queue") + "?status=claimed",
        ["category.name", "pod.name"],
    ),
    "request": (
        lambda w: reverse("volunteers:request", args=[w["open"].reference]),
        [
            "category.name",
            "pod.name",
            "request.details",
            "translation.details",
            "message.in",
            "message.out",
            "note.text",
            "translation.msg",
            "volunteer.name",
            "offer.availability",
        ],
    ),
    "closed request": (
        lambda w: reverse("volunteers:request", args=[w["closed"].reference]),
        ["request.outcome_note", "claim.release_reason"],
    ),
    "my work": (lambda w: reverse("volunteers:my_work"), ["category.name", "pod.name"]),
    "offer": (
        lambda w: reverse("volunteers:offer", args=[w["offer"].reference]),
        ["category.name", "offer.details", "offer.availability", "pod.name"],
    ),
    "contact": (
        lambda w: reverse("volunteers:contact", args=[w["open"].reference]),
        ["neighbor.name", "neighbor.email", "neighbor.best_time", "neighbor.address"],
    ),
    "flyers": (
        lambda w: reverse("volunteers:flyers") + f"?pod={w['pod'].slug}",
        ["pod.name", "category.name"],
    ),
    "reports": (lambda w: reverse("volunteers:reports"), ["category.name"]),
}

# Each admin list and the payload object's page, with the values they show.
ADMIN_OBJECTS = {
    "request": ("open", ["category.name"], ["request.details"]),
    "neighbor": ("neighbor", [], ["neighbor.name", "neighbor.address"]),  # no names listed
    "offer": ("offer", ["category.name"], ["offer.details", "offer.availability"]),
    "category": ("category", ["category.name"], ["category.name", "category.desc"]),
    "resource": ("resource", ["resource.name"], ["resource.name", "resource.hours"]),
    "pod": ("pod", ["pod.name", "pod.area"], ["pod.name", "pod.description"]),
    "volunteer": ("coordinator", ["volunteer.name"], ["volunteer.name", "volunteer.avail"]),
    "event": ("event", [], ["message.in"]),
    "claim": ("claim", [], ["claim.release_reason"]),
    "auditentry": ("audit", ["audit.detail"], ["audit.detail"]),
    "user": ("user", [], ["user.first_name"]),
}


def _admin_pages():
    for model in admin.site._registry:
        name = model._meta.model_name
        if name not in ADMIN_OBJECTS:
            continue
        key, in_list, on_page = ADMIN_OBJECTS[name]
        prefix = f"admin:{model._meta.app_label}_{name}"
        yield f"admin {name} list", (lambda w, p=prefix: reverse(f"{p}_changelist"), in_list)
        yield (
            f"admin {name} page",
            (lambda w, p=prefix, k=key: reverse(f"{p}_change", args=[w[k].pk]), on_page),
        )


PAGES |= dict(_admin_pages())


def test_every_model_with_text_in_the_admin_is_rendered_here():
    ours = {
        model._meta.model_name
        for model in admin.site._registry
        if model._meta.app_label in {"requests_app", "volunteers"}
    }
    assert ours - {"ratelimitbucket"} <= set(ADMIN_OBJECTS)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_shows_what_people_wrote_escaped_never_as_markup(hostile_network, page):
    url_for, shown = PAGES[page]
    response = hostile_network["client"].get(url_for(hostile_network))
    assert response.status_code == 200
    html = response.content.decode()
    for raw in RAW:
        assert raw not in html, f"{raw!r} reached the page unescaped"
    for tag in shown:
        assert escape(payload(tag)) in html, f"{tag} is not shown, or not escaped exactly once"
    assert "&amp;lt;script&amp;gt;" not in html, "something was escaped twice"
