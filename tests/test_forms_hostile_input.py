"""Whatever arrives in a form, from anyone: never a server error, never half a save, and
what a person typed comes back to them.

Each form is first opened as a person would see it, and what the browser would send is
read from the page (every input, hidden value and selected option). Hypothesis then
changes that: any Unicode (right-to-left and zero-width marks, NUL bytes, emoji), 100 KB
values, text where a number, date or choice goes, a field left out, or the same field
sent two or three times. For every answer:
- it is never a 5xx;
- when it is not a redirect (the form came back, or a 404/429), no row of the network's
  tables changed or appeared: never a partial save;
- when the form came back, every text field that was sent and was not itself marked
  wrong is in the page again, escaped as the form renders it.

Each example runs in a savepoint that is rolled back, so the rate-limit buckets and
whatever a successful post wrote are gone before the next one.
"""

import itertools
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.admin.helpers import AdminForm, InlineAdminFormSet
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from requests_app.models import (
    AppliesTo,
    AuditAction,
    AuditEntry,
    Category,
    Claim,
    Event,
    EventKind,
    Neighbor,
    Offer,
    Request,
    RequestStatus,
    Resource,
    RotaSignup,
    Translation,
)
from tests.factories import (
    form_started,
    make_category,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_volunteer,
    sign_in,
)
from volunteers.models import Pod, Volunteer

pytestmark = [
    pytest.mark.django_db,
    # A failing example of a whole form is long to print; Hypothesis warns, and the
    # warning (an error here) would hide the failure itself.
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
]

EXAMPLES = hypothesis_settings(
    max_examples=8,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is never a fluke
    database=None,
    # No "explain" phase: it traces every line of every request, minutes for one failure.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- What hostile input looks like -----------------------------------------------------

MARKS = [
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",  # zero-width no-break space (BOM)
    "\x00",
    "\x01",
    "\r\n",
    "<script>alert(1)</script>",
    "&amp;",
    "\"'",
    "{{ request }}",
    "%(name)s",
    '["\\u0000"]',  # JSON that PostgreSQL's jsonb refuses
    "👩🏽‍🦱",
    "مرحبا",
    "בקשה",
]
texts = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(MARKS)), max_size=5).map("".join)


class Huge(str):
    """A 100 KB value that a failing example reports by its size, not its text."""

    def __repr__(self):
        return f"<{len(self.encode()):,} bytes: {str.__repr__(self[:12])}...>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


# Built from a short seed, so the strategy's own description stays short too.
huge_texts = st.sampled_from(["x", "\u202eب", "\u200b"]).map(
    lambda seed: Huge(seed * (100_000 // len(seed.encode())))
)
# A valid address (Django's validator allows 320 characters) longer than the 254 characters
# an email column holds.
LONG_EMAIL = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.org"
wrong_types = st.sampled_from(
    [
        "99999999999999999999",
        "-1",
        "1.5",
        "1e309",
        "2024-13-45",
        "9999-12-31",
        "0",
        "true",
        "[]",
        LONG_EMAIL,
    ]
)
hostile_values = st.one_of(texts, texts, huge_texts, wrong_types)
# Django refuses a request over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with a bare 400 before
# any form sees it; past this much, an example sends no more 100 KB values.
HUGE_BUDGET = 1_000_000


# --- Reading a form from its page ------------------------------------------------------


@dataclass
class ScrapedForm:
    values: dict  # name -> the list of values a browser would send
    options: dict  # name -> the values a select, radio or checkbox offers


class FormReader(HTMLParser):
    """The first <form method=post> with this action, read as a browser would submit it."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.state = "before"  # before, inside, after
        self.form = ScrapedForm(values={}, options={})
        self.select = None  # (name, multiple, chosen)
        self.textarea = None  # (name, parts)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.state == "before":
            if (attrs.get("method") or "").lower() == "post" and (
                attrs.get("action") or ""
            ) == self.action:
                self.state = "inside"
            return
        if self.state != "inside" or "name" not in attrs:
            if tag == "option" and self.select and self.state == "inside":
                self._option(attrs)
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                self.form.options.setdefault(name, []).append(attrs.get("value") or "on")
                if "checked" in attrs:
                    self.form.values.setdefault(name, []).append(attrs.get("value") or "on")
                return
            self.form.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea = (name, [])
        elif tag == "select":
            self.select = (name, "multiple" in attrs, [])
            self.form.options.setdefault(name, [])

    def _option(self, attrs):
        name, _multiple, chosen = self.select
        value = attrs.get("value") or ""
        self.form.options[name].append(value)
        if "selected" in attrs:
            chosen.append(value)

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if self.state != "inside":
            return
        if tag == "form":
            self.state = "after"
        elif tag == "textarea" and self.textarea:
            name, parts = self.textarea
            text = "".join(parts)
            # HTML drops the one new line a textarea starts with (Django writes it).
            self.form.values[name] = [text.removeprefix("\r\n").removeprefix("\n")]
            self.textarea = None
        elif tag == "select" and self.select:
            name, multiple, chosen = self.select
            offered = self.form.options[name]
            if chosen or multiple:
                self.form.values[name] = chosen
            elif offered:
                self.form.values[name] = [offered[0]]
            self.select = None


def read_form(html, action):
    reader = FormReader(action)
    reader.feed(html)
    if reader.state == "before":
        return None
    reader.form.values.pop("csrfmiddlewaretoken", None)
    return reader.form


# --- The network the forms work on -----------------------------------------------------


@pytest.fixture
def world(db):
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    groceries = make_category("groceries", applies_to=AppliesTo.BOTH)
    coordinator = make_volunteer("Maria", pods=[pod], groups=["Volunteer", "Coordinator"])
    user = coordinator.user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    ben = make_volunteer("Ben", pods=[pod])
    neighbor = make_neighbor(name="Rosa", email="rosa@example.org", pod=pod)
    claimed = make_request(neighbor=neighbor, category=groceries, pod=pod, details="Rice.")
    claimed.claim(coordinator)
    claimed.record(EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text="Gracias")
    fresh = make_request(category=groceries, details="Milk.")
    closed = make_request(category=groceries, pod=pod)
    closed.claim(ben)
    closed.close(RequestStatus.FULFILLED, by=ben.user)
    offer = make_offer(category=groceries, pod=pod)
    resource = make_resource(categories=[groceries])
    staff = sign_in(Client(), user)
    return {
        "staff": staff,
        "public": Client(REMOTE_ADDR="198.51.100.7"),
        "pod": pod,
        "groceries": groceries,
        "neighbor": neighbor,
        "claimed": claimed,
        "fresh": fresh,
        "closed": closed,
        "offer": offer,
        "resource": resource,
        "ben": ben,
        "coordinator": coordinator,
    }


# Every table a form could write to, and the join tables of their many-to-many fields.
WATCHED = [
    Request,
    Neighbor,
    Offer,
    Event,
    Claim,
    Translation,
    RotaSignup,
    Category,
    Resource,
    Pod,
    Volunteer,
    User,
    AuditEntry,
    LogEntry,
]
WATCHED += [
    field.remote_field.through for model in list(WATCHED) for field in model._meta.many_to_many
]


# Recorded whenever a page draws contact details, a refused form in the admin too (it
# draws the record again): a record of the look, not of anything the form saved.
LOOKS = {
    Event: {"kind": EventKind.CONTACT_VIEWED},
    AuditEntry: {"action": AuditAction.CONTACT_VIEWED},
}


def everything_stored():
    stored = {}
    for model in WATCHED:
        rows = model.objects.order_by("pk")
        if model in LOOKS:
            rows = rows.exclude(**LOOKS[model])
        stored[model._meta.label] = list(rows.values_list())
    return stored


# --- The forms ---------------------------------------------------------------------------


@dataclass
class FormCase:
    who: str  # "public" or "staff"
    page: object  # world -> the page the form is on
    action: object = None  # world -> where it posts (None: to the page itself)
    valid: object = dict  # world -> what makes the form acceptable, on top of the page
    method: str = "post"


def status_url(name, aid_request, *args):
    return reverse(f"requests_app:{name}", args=[aid_request.status_token, *args])


def work_url(name, aid_request):
    return reverse(f"volunteers:{name}", args=[aid_request.reference])


def on_request_page(action, request_key="claimed", **valid):
    return FormCase(
        "staff",
        page=lambda w: work_url("request", w[request_key]),
        action=lambda w: work_url(action, w[request_key]),
        valid=lambda w: {
            key: value(w) if callable(value) else value for key, value in valid.items()
        },
    )


PUBLIC_FORMS = {
    "ask": FormCase(
        "public",
        page=lambda w: reverse("requests_app:ask"),
        valid=lambda w: {
            "needs": [str(w["groceries"].pk)],
            "phone": "617-555-0142",
            "started": form_started(),
        },
    ),
    "offer": FormCase(
        "public",
        page=lambda w: reverse("requests_app:offer"),
        valid=lambda w: {
            "offers": [str(w["groceries"].pk)],
            "email": "lee@example.org",
            "started": form_started(),
        },
    ),
    "volunteer-sign-up": FormCase(
        "public",
        page=lambda w: reverse("volunteers:sign_up"),
        valid=lambda w: {
            "name": "Lee",
            "email": "lee@example.org",
            "languages": ["en"],
            "agree": "on",
            "started": form_started(),
        },
    ),
    "status-page-message": FormCase(
        "public",
        page=lambda w: status_url("status", w["claimed"]),
        action=lambda w: status_url("send_message", w["claimed"], w["claimed"].reference),
        valid=lambda w: {"text": "Thank you", "started": form_started()},
    ),
    "withdraw": FormCase(
        "public", page=lambda w: status_url("withdraw", w["claimed"], w["claimed"].reference)
    ),
    "erase-contact": FormCase("public", page=lambda w: status_url("erase_contact", w["claimed"])),
    "offer-manage": FormCase(
        "public",
        page=lambda w: reverse("requests_app:offer_manage", args=[w["offer"].token]),
        # The buttons carry the action; the page's form holds only the reference.
        valid=lambda w: {"action": "pause"},
    ),
    "end-offer": FormCase(
        "public",
        page=lambda w: reverse(
            "requests_app:end_offer", args=[w["offer"].token, w["offer"].reference]
        ),
    ),
    "erase-offer-contact": FormCase(
        "public",
        page=lambda w: reverse("requests_app:erase_offer_contact", args=[w["offer"].token]),
    ),
}

STAFF_FORMS = {
    "take-request-by-phone": FormCase(
        "staff",
        page=lambda w: reverse("volunteers:take_request"),
        valid=lambda w: {
            "needs": [str(w["groceries"].pk)],
            "phone": "617-555-0199",
            "channel": "phone",
        },
    ),
    "note": on_request_page("note", text="Called, no answer."),
    "attempt": on_request_page("attempt", text="Voicemail."),
    "message": on_request_page("message", text="We have rice for you."),
    "close": on_request_page("close", outcome="fulfilled"),
    "triage": on_request_page("triage", request_key="fresh", pod=lambda w: str(w["pod"].pk)),
    "reassign": on_request_page("reassign", volunteer=lambda w: str(w["ben"].pk)),
    "release": on_request_page("release", reason="Away this week."),
    "reopen": on_request_page("reopen", request_key="closed", reason="They called again."),
    "repeat": on_request_page("repeat", repeat="weekly"),
    "translate": on_request_page("translate", text="Rice, please.", language="es"),
    "queue-filters": FormCase("staff", page=lambda w: reverse("volunteers:queue"), method="get"),
}

ADMIN_MODELS = {
    "request": (Request, "claimed"),
    "neighbor": (Neighbor, "neighbor"),
    "offer": (Offer, "offer"),
    "category": (Category, "groceries"),
    "resource": (Resource, "resource"),
    "pod": (Pod, "pod"),
    "volunteer": (Volunteer, "ben"),
}
ADMIN_VALID = {
    "request": lambda w: {"neighbor": str(w["neighbor"].pk), "category": str(w["groceries"].pk)},
    "neighbor": lambda w: {"phone": "+16175550123"},
    "offer": lambda w: {"neighbor": str(w["neighbor"].pk), "category": str(w["groceries"].pk)},
    "category": lambda w: {"name_en": "Diapers", "slug": "diapers"},
    "resource": lambda w: {"name_en": "Food pantry"},
    "pod": lambda w: {"name_en": "South Side", "slug": "south-side"},
    "volunteer": lambda w: {"name": "Chen", "languages": '["zh-hans"]'},
}


def admin_case(name, view):
    model, key = ADMIN_MODELS[name]
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    def page(w):
        return reverse(f"{prefix}_{view}", args=[w[key].pk] if view == "change" else [])

    return FormCase("staff", page=page, valid=ADMIN_VALID[name])


ADMIN_FORMS = {
    f"admin-{name}-{view}": admin_case(name, view)
    for name in ADMIN_MODELS
    for view in ["add", "change"]
}

EVERY_FORM = PUBLIC_FORMS | STAFF_FORMS | ADMIN_FORMS


# --- What each answer must be --------------------------------------------------------------


def bound_forms(context):
    """Every bound form the page rendered, admin inline forms and management forms too."""
    if context is None:
        return []
    found = []

    def visit(value):
        if isinstance(value, AdminForm):
            visit(value.form)
        elif isinstance(value, InlineAdminFormSet):
            visit(value.formset)
        elif isinstance(value, forms.BaseFormSet):
            if value.is_bound:
                found.append(value.management_form)
                found.extend(value.forms)
        elif isinstance(value, forms.BaseForm):
            if value.is_bound:
                found.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    for layer in context if isinstance(context, list) else [context]:
        for scope in layer.dicts:
            for value in scope.values():
                visit(value)
    return found


def typed_text_fields(form):
    """The fields where a person types free text, by the name they have in the page."""
    return {
        form.add_prefix(name): field
        for name, field in form.fields.items()
        if isinstance(field, forms.CharField)
        and not isinstance(field, forms.JSONField)
        and not field.disabled
        and not field.widget.is_hidden
    }


def assert_typed_text_is_back(response, sent):
    html = response.content.decode()
    rendered = bound_forms(response.context)
    text_fields = {}
    rejected = set()
    for form in rendered:
        text_fields |= typed_text_fields(form)
        rejected |= {form.add_prefix(name) for name in form.errors}
    typed = {name: values for name, values in sent.items() if name in text_fields and values}
    if typed:
        assert rendered, "the page came back without the form: what was typed is lost"
    for name, values in typed.items():
        if name in rejected:
            continue
        # A field sent more than once reads its last value, as Django's forms do.
        assert escape(values[-1]) in html, f"{name}={values[-1][:80]!r} is not back in the page"


# What happens to each field of a form: the plan is drawn without looking at the page, so
# Hypothesis replays exactly what it generated; it is laid over the form's fields in order.
SLOTS = 48
field_plans = st.tuples(
    st.sampled_from(["keep", "keep", "hostile", "missing", "repeated", "another option"]),
    hostile_values,
    # A repeated field: two or three values, each hostile or the page's own (None).
    st.lists(st.one_of(hostile_values, st.none()), min_size=2, max_size=3),
    st.integers(min_value=0, max_value=1000),  # which option, for "another option"
)
plans = st.lists(field_plans, min_size=SLOTS + 1, max_size=SLOTS + 1)


def hostile_post(scraped, plan):
    """What the page would send, with some fields changed, left out or repeated, and one
    field it does not have. Past HUGE_BUDGET, 100 KB values are cut to 100 characters."""
    names = [*scraped.values, *(n for n in scraped.options if n not in scraped.values)]
    assert len(names) <= SLOTS, f"{len(names)} fields: raise SLOTS"
    size = 0

    def budgeted(value):
        nonlocal size
        if isinstance(value, Huge) and size >= HUGE_BUDGET:
            return value[:100]
        size += len(value.encode())
        return value

    sent = {}
    for name, (how, value, repeats, index) in zip([*names, "unexpected"], plan, strict=False):
        baseline = scraped.values.get(name, [])
        offered = scraped.options.get(name)
        if how == "keep" and name != "unexpected":
            sent[name] = baseline
        elif how == "hostile":
            sent[name] = [budgeted(value)]
        elif how == "repeated":
            own = (baseline[:1] or [""])[0]
            sent[name] = [own if each is None else budgeted(each) for each in repeats]
        elif how == "another option" and offered:
            sent[name] = [offered[index % len(offered)]]
    return sent


def page_and_form(world, case):
    client = world[case.who]
    page = case.page(world)
    response = client.get(page)
    assert response.status_code == 200, f"{page} must open for this test to mean anything"
    action = case.action(world) if case.action else page
    if case.method == "get":
        scraped = ScrapedForm(values={}, options={})
        for name in bound_or_blank_fields(response):
            scraped.values[name] = []
        return client, action, scraped
    # Our forms name the URL they post to, or post to their own page (action="").
    html = response.content.decode()
    scraped = read_form(html, action) or read_form(html, "")
    assert scraped, f"no form posting to {action} on {page}"
    overrides = case.valid(world)
    scraped.values.update(
        {key: value if isinstance(value, list) else [value] for key, value in overrides.items()}
    )
    return client, action, scraped


def bound_or_blank_fields(response):
    names = []
    for layer in response.context:
        for scope in layer.dicts:
            for value in scope.values():
                if isinstance(value, forms.BaseForm):
                    names.extend(value.add_prefix(name) for name in value.fields)
    return names


_addresses = itertools.count(1)


@pytest.fixture
def form(world, form_name):
    """The form as its page shows it, read once before Hypothesis starts."""
    return page_and_form(world, EVERY_FORM[form_name])


def send_and_check(form_name, client, action, sent):
    """One hostile post (or query), in a savepoint rolled back afterwards, and what its
    answer must be. Returns the response."""
    case = EVERY_FORM[form_name]
    with transaction.atomic():
        before = everything_stored()
        if case.method == "get":
            response = client.get(action, sent)
        else:
            # Each example comes from an address of its own, as well as its own savepoint.
            response = client.post(
                action, sent, REMOTE_ADDR=f"203.0.113.{next(_addresses) % 250 + 1}"
            )
        assert response.status_code < 500
        if response.status_code in {301, 302, 303}:
            location = response["Location"]
            assert "/accounts/" not in location, f"signed out during the test: {location}"
        else:
            assert everything_stored() == before, "a refused form changed what is stored"
            if case.method == "post":
                assert_typed_text_is_back(response, sent)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("form_name", EVERY_FORM)
@EXAMPLES
@given(plan=plans)
def test_hostile_input_never_breaks_a_form_half_saves_or_loses_what_was_typed(
    form, form_name, plan
):
    client, action, scraped = form
    send_and_check(form_name, client, action, hostile_post(scraped, plan))


EMAIL_FORMS = [
    "ask",
    "offer",
    "volunteer-sign-up",
    "take-request-by-phone",
    "admin-neighbor-add",
    "admin-neighbor-change",
    "admin-volunteer-add",
    "admin-volunteer-change",
]


@pytest.mark.parametrize("form_name", EMAIL_FORMS)
def test_an_address_too_long_to_store_is_refused_by_the_form_not_the_database(form, form_name):
    """Random examples rarely pair this one value with an otherwise valid form, so every
    form with an email field gets it once, with everything else as the page sends it."""
    client, action, scraped = form
    assert "email" in scraped.values
    response = send_and_check(form_name, client, action, {**scraped.values, "email": [LONG_EMAIL]})
    assert response.status_code not in {301, 302, 303}
    assert "email" in {
        bound.add_prefix(name) for bound in bound_forms(response.context) for name in bound.errors
    }
