"""Every URL in the project has an access rule, and the rule holds for every role.

The URLs come from Django's resolver, the admin's included (it makes a set per registered
model), so a view added without a rule here fails the suite: decide who may open it, then
write it down. Each (URL, role) is a real request with real references and tokens, judged
by what came back: the page, a redirect to where the action leads, "you cannot do that"
(back to the request with an error), the sign-in page, the coordinators' second sign-in
step, or a 404. Never a 403: what is out of someone's reach looks as if it did not exist.
"""

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from requests_app.models import Request, RequestStatus
from tests.factories import (
    form_started,
    make_neighbor,
    make_offer,
    make_pod,
    make_request,
    make_resource,
    make_user,
    make_volunteer,
    sign_in,
)
from volunteers.models import Volunteer

ROLES = [
    "anonymous",
    "neighbor",  # no account: holds the private link (status page, or offer page)
    "pending",  # signed in, but their sign-up is not approved
    "volunteer",  # in the request's pod, has not claimed it
    "volunteer_elsewhere",  # in another pod
    "claimer",  # claimed the request
    "point_person",  # leads the request's pod; the neighbor agreed to share with them
    "coordinator_first_step_only",  # password only: force_login, no code from the phone
    "coordinator",  # staff, Coordinator group, past the second step (sign_in)
    "superuser",  # staff and superuser, past the second step; no volunteer profile
]
STAFF = {"coordinator_first_step_only", "coordinator", "superuser"}

# What a request can come back as.
OK = "200"
NOT_FOUND = "404"
NOT_ALLOWED = "405"  # a GET on an action that only takes a POST
LOGIN = "sign-in page"
SECOND_STEP = "second sign-in step"
REFUSED = "refused"  # back to the request's page with "you cannot do that"


def to(url_name):
    """A redirect to this named place (after an action, the page it leads to)."""
    return f"redirect to {url_name}"


def outcomes(default, **by_role):
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"no such role: {unknown}"
    return {role: by_role.get(role, default) for role in ROLES}


PUBLIC = outcomes(OK)
POST_ONLY = outcomes(NOT_ALLOWED)
# Only whoever holds the private link; nobody gets in by guessing one.
PRIVATE_LINK = outcomes(NOT_FOUND, neighbor=OK)
# The workspace: approved volunteers; coordinators after their second step.
WORKSPACE = outcomes(
    OK,
    anonymous=LOGIN,
    neighbor=LOGIN,
    pending=NOT_FOUND,
    coordinator_first_step_only=SECOND_STEP,
    superuser=NOT_FOUND,
)
# Coordinators' pages outside the admin (flyers, reports).
STAFF_PAGE = outcomes(
    NOT_FOUND,
    anonymous=LOGIN,
    neighbor=LOGIN,
    coordinator_first_step_only=SECOND_STEP,
    coordinator=OK,
    superuser=OK,
)

EVERY_VOLUNTEER = {"volunteer", "volunteer_elsewhere", "claimer", "point_person", "coordinator"}
WHO_HELPS = {"claimer", "point_person", "coordinator"}
WHO_RUNS_THE_POD = {"point_person", "coordinator"}


def action(done_by):
    """A workspace action: it happens for `done_by`, other volunteers are told they cannot."""
    return {
        role: (to("volunteers:request") if role in done_by else REFUSED)
        if WORKSPACE[role] == OK
        else WORKSPACE[role]
        for role in ROLES
    }


def in_admin(coordinator, superuser):
    """Staff past the second step only; anyone else is sent to sign in."""
    return outcomes(
        LOGIN,
        coordinator_first_step_only=SECOND_STEP,
        coordinator=coordinator,
        superuser=superuser,
    )


@dataclass(frozen=True)
class Rule:
    """How to reach one URL (given the world and the role asking) and what each role gets
    from a GET and, for what takes one, a POST."""

    url: object  # (world, role) -> path
    get: dict
    post: dict | None = None
    data: object = field(default=lambda world: {})  # (world) -> the POST's fields
    variant: str = ""


def named(name, *args, query=""):
    """The URL by name; args are names of the world's attributes (or callables)."""

    def build(world, role):
        values = [arg(world, role) if callable(arg) else getattr(world, arg) for arg in args]
        return reverse(name, args=values) + query

    return build


def link_held_by_the_neighbor(attribute):
    """The neighbor's real private link; everyone else tries one that is nobody's."""

    def token(world, role):
        return getattr(world, attribute) if role == "neighbor" else "0" * 43

    return token


STATUS_TOKEN = link_held_by_the_neighbor("status_token")


def workspace_action(name, target, done_by, data=lambda world: {}):
    return Rule(named(name, target), get=POST_ONLY, post=action(done_by), data=data)


RULES = {
    # --- Neighbors: public pages and their private links --------------------------------
    "requests_app:home": Rule(named("requests_app:home"), get=PUBLIC),
    "requests_app:ask": Rule(named("requests_app:ask"), get=PUBLIC),
    "requests_app:asked": Rule(named("requests_app:asked", STATUS_TOKEN), get=PRIVATE_LINK),
    "requests_app:status": Rule(named("requests_app:status", STATUS_TOKEN), get=PRIVATE_LINK),
    "requests_app:erase_contact": Rule(
        named("requests_app:erase_contact", STATUS_TOKEN),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:status")),
    ),
    "requests_app:ask_something_else": Rule(
        named("requests_app:ask_something_else", STATUS_TOKEN),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:status")),
        data=lambda world: {
            "needs": [world.category_pk],
            "urgency": "2",
            "started": form_started(),
        },
    ),
    "requests_app:send_message": Rule(
        named("requests_app:send_message", STATUS_TOKEN, "claimed_reference"),
        get=outcomes(NOT_FOUND, neighbor=to("requests_app:status")),
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:status")),
        data=lambda world: {"text": "Thank you, Tuesday is fine.", "started": form_started()},
    ),
    "requests_app:withdraw": Rule(
        named("requests_app:withdraw", STATUS_TOKEN, "claimed_reference"),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:status")),
    ),
    "requests_app:offer": Rule(named("requests_app:offer"), get=PUBLIC),
    "requests_app:offer_manage": Rule(
        named("requests_app:offer_manage", link_held_by_the_neighbor("offer_token")),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:offer_manage")),
        data=lambda world: {"action": "pause", "reference": world.offer_reference},
    ),
    "requests_app:offer_something_else": Rule(
        named("requests_app:offer_something_else", link_held_by_the_neighbor("offer_token")),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:offer_manage")),
        data=lambda world: {
            "offers": [world.category_pk],
            "languages": ["en"],
            "started": form_started(),
        },
    ),
    "requests_app:end_offer": Rule(
        named(
            "requests_app:end_offer", link_held_by_the_neighbor("offer_token"), "offer_reference"
        ),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:offer_manage")),
    ),
    "requests_app:erase_offer_contact": Rule(
        named("requests_app:erase_offer_contact", link_held_by_the_neighbor("offer_token")),
        get=PRIVATE_LINK,
        post=outcomes(NOT_FOUND, neighbor=to("requests_app:offer_manage")),
    ),
    "requests_app:resources": Rule(named("requests_app:resources"), get=PUBLIC),
    "requests_app:privacy": Rule(named("requests_app:privacy"), get=PUBLIC),
    # --- Joining and signing in -------------------------------------------------------
    "volunteers:sign_up": Rule(named("volunteers:sign_up"), get=PUBLIC),
    "volunteers:signed_up": Rule(named("volunteers:signed_up"), get=PUBLIC),
    "volunteers:login": Rule(named("volunteers:login"), get=PUBLIC),
    "volunteers:logout": Rule(
        named("volunteers:logout"), get=POST_ONLY, post=outcomes(to("requests_app:home"))
    ),
    "volunteers:two_factor": Rule(
        named("volunteers:two_factor"),
        get=outcomes(
            to("volunteers:queue"),
            anonymous=LOGIN,
            neighbor=LOGIN,
            coordinator_first_step_only=OK,
        ),
    ),
    "volunteers:password_reset": Rule(named("volunteers:password_reset"), get=PUBLIC),
    "volunteers:password_reset_done": Rule(named("volunteers:password_reset_done"), get=PUBLIC),
    # A real link from a reset email: it moves on to choosing the password, for anyone.
    "volunteers:password_reset_confirm": Rule(
        named("volunteers:password_reset_confirm", "reset_uid", "reset_token"),
        get=outcomes(to("volunteers:password_reset_confirm")),
    ),
    "volunteers:password_reset_complete": Rule(
        named("volunteers:password_reset_complete"), get=PUBLIC
    ),
    # --- The workspace ------------------------------------------------------------------
    "volunteers:queue": Rule(named("volunteers:queue"), get=WORKSPACE),
    "volunteers:my_work": Rule(named("volunteers:my_work"), get=WORKSPACE),
    # Every approved volunteer gives back what they hold (nothing, for most roles here).
    "volunteers:give_back": Rule(
        named("volunteers:give_back"),
        get=POST_ONLY,
        post={
            role: to("volunteers:my_work") if outcome == OK else outcome
            for role, outcome in WORKSPACE.items()
        },
        data=lambda world: {"reason": "Away this week, sorry."},
    ),
    "volunteers:take_request": Rule(named("volunteers:take_request"), get=WORKSPACE),
    # What to read out after taking a request by phone: only for whoever took it.
    "volunteers:taken": Rule(
        named("volunteers:taken", "taken_token"),
        get={
            role: (OK if role == "volunteer" else NOT_FOUND) if outcome == OK else outcome
            for role, outcome in WORKSPACE.items()
        },
    ),
    "volunteers:request": Rule(named("volunteers:request", "claimed_reference"), get=WORKSPACE),
    "volunteers:contact": Rule(
        named("volunteers:contact", "claimed_reference"),
        get={
            role: (OK if role in WHO_HELPS else REFUSED) if outcome == OK else outcome
            for role, outcome in WORKSPACE.items()
        },
    ),
    "volunteers:rota": Rule(named("volunteers:rota", "claimed_reference"), get=WORKSPACE),
    "volunteers:offer": Rule(named("volunteers:offer", "offer_reference"), get=WORKSPACE),
    "volunteers:claim": workspace_action("volunteers:claim", "open_reference", EVERY_VOLUNTEER),
    "volunteers:release": workspace_action(
        "volunteers:release", "claimed_reference", WHO_HELPS, lambda world: {"reason": "busy"}
    ),
    "volunteers:note": workspace_action(
        "volunteers:note",
        "claimed_reference",
        EVERY_VOLUNTEER,
        lambda world: {"text": "Rang the bell"},
    ),
    "volunteers:attempt": workspace_action(
        "volunteers:attempt", "claimed_reference", WHO_HELPS, lambda world: {"text": "No answer"}
    ),
    "volunteers:message": workspace_action(
        "volunteers:message", "claimed_reference", WHO_HELPS, lambda world: {"text": "Tuesday?"}
    ),
    "volunteers:close": workspace_action(
        "volunteers:close",
        "claimed_reference",
        WHO_HELPS,
        lambda world: {"outcome": RequestStatus.FULFILLED},
    ),
    "volunteers:told": workspace_action("volunteers:told", "closed_reference", WHO_HELPS),
    "volunteers:triage": workspace_action(
        "volunteers:triage",
        "new_reference",
        WHO_RUNS_THE_POD,
        lambda world: {"pod": world.pod_pk, "urgency": 1},
    ),
    "volunteers:reassign": workspace_action(
        "volunteers:reassign",
        "claimed_reference",
        WHO_RUNS_THE_POD,
        lambda world: {"volunteer": world.someone_pk},
    ),
    "volunteers:reopen": workspace_action(
        "volunteers:reopen",
        "closed_reference",
        WHO_RUNS_THE_POD,
        lambda world: {"reason": "Still needed"},
    ),
    "volunteers:repeat": workspace_action(
        "volunteers:repeat",
        "claimed_reference",
        WHO_HELPS,
        lambda world: {"repeat": "weekly", "first_date": world.today},
    ),
    "volunteers:translate": workspace_action(
        "volunteers:translate",
        "claimed_reference",
        EVERY_VOLUNTEER,
        lambda world: {"language": "es", "text": "Arroz y leche."},
    ),
    "volunteers:connect": Rule(
        named("volunteers:connect", "open_reference", "offer_reference"),
        get=POST_ONLY,
        post=action(EVERY_VOLUNTEER),
    ),
    # --- Coordinators -------------------------------------------------------------------
    "volunteers:flyers": Rule(
        named("volunteers:flyers", query="?pod=prospect-hill"), get=STAFF_PAGE
    ),
    "volunteers:reports": Rule(named("volunteers:reports"), get=STAFF_PAGE),
    "admin:index": Rule(named("admin:index"), get=in_admin(OK, OK)),
    "admin:login": Rule(
        named("admin:login"),
        get=outcomes(
            OK,
            coordinator_first_step_only=SECOND_STEP,
            coordinator=to("admin:index"),
            superuser=to("admin:index"),
        ),
    ),
    # Signing out of the admin takes a POST; a GET from anyone else goes to the index.
    "admin:logout": Rule(
        named("admin:logout"),
        get=outcomes(to("admin:index"), coordinator=NOT_ALLOWED, superuser=NOT_ALLOWED),
    ),
    "admin:password_change": Rule(named("admin:password_change"), get=in_admin(OK, OK)),
    "admin:password_change_done": Rule(named("admin:password_change_done"), get=in_admin(OK, OK)),
    "admin:jsi18n": Rule(named("admin:jsi18n"), get=in_admin(OK, OK)),
    "admin:autocomplete": Rule(
        named(
            "admin:autocomplete",
            query="?app_label=requests_app&model_name=request&field_name=category&term=gro",
        ),
        get=in_admin(OK, OK),
    ),
    # No model here has a page on the site.
    "admin:view_on_site": Rule(
        named("admin:view_on_site", "request_content_type", "claimed_pk"),
        get=in_admin(NOT_FOUND, NOT_FOUND),
    ),
    "admin:app_list": [
        Rule(
            named("admin:app_list", lambda world, role, app=app: app),
            get=in_admin(OK if app in {"requests_app", "volunteers"} else NOT_FOUND, OK),
            variant=app,
        )
        for app in ["requests_app", "volunteers", "auth", "otp_totp"]
    ],
}

# --- The admin's pages for each registered model ---------------------------------------

MODEL_VIEWS = {"changelist", "add", "change", "history", "delete"}
# What a coordinator opens, per model; everything else answers 404.
COORDINATOR_OPENS = {
    "auth.group": set(),
    "auth.user": set(),
    "otp_totp.totpdevice": set(),
    "requests_app.category": MODEL_VIEWS,
    "requests_app.neighbor": MODEL_VIEWS - {"delete"},
    "requests_app.request": MODEL_VIEWS - {"delete"},
    "requests_app.claim": {"changelist", "change", "history"},
    "requests_app.event": {"changelist", "change", "history"},
    "requests_app.offer": MODEL_VIEWS,
    "requests_app.resource": MODEL_VIEWS,
    "requests_app.auditentry": {"changelist", "change", "history"},
    "volunteers.pod": MODEL_VIEWS,
    "volunteers.volunteer": MODEL_VIEWS,
}
# What the admin allows nobody, not even a superuser: the timeline and the audit trail
# are append-only, and claims are made in the workspace.
NOBODY_OPENS = {
    # Each person sets up their own phone at their first sign-in.
    "otp_totp.totpdevice": {"add"},
    "requests_app.claim": {"add"},
    "requests_app.event": {"add", "delete"},
    "requests_app.auditentry": {"add", "delete"},
    # The one here is approved: deactivated, never deleted (a sign-up is declined).
    "volunteers.volunteer": {"delete"},
}
# Views some model admins add to the five.
EXTRA_MODEL_VIEWS = {
    # (model, view): (coordinator, superuser)
    ("auth.user", "password_change"): (NOT_FOUND, OK),
    # Nobody, not even a superuser, reads another person's secret key (settings).
    ("otp_totp.totpdevice", "config"): (NOT_FOUND, NOT_FOUND),
    ("otp_totp.totpdevice", "qrcode"): (NOT_FOUND, NOT_FOUND),
}


def admin_model(label):
    app_label, model_name = label.split(".")
    return next(
        model
        for model in admin.site._registry
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name)
    )


def object_pk(label):
    def pk(world, role):
        return world.admin_objects[label]

    return pk


def model_rule(label, view):
    """The rule for one of the admin's per-model pages."""
    model = admin_model(label)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    if (label, view) in EXTRA_MODEL_VIEWS:
        coordinator, superuser = EXTRA_MODEL_VIEWS[(label, view)]
        return Rule(
            named(f"{prefix}_{view}", object_pk(label)), get=in_admin(coordinator, superuser)
        )
    args = [] if view in {"changelist", "add"} else [object_pk(label)]

    def opens(allowed):
        return OK if view in allowed and view not in NOBODY_OPENS.get(label, set()) else NOT_FOUND

    return Rule(
        named(f"{prefix}_{view}", *args),
        get=in_admin(opens(COORDINATOR_OPENS[label]), opens(MODEL_VIEWS)),
    )


def object_redirect_rule(label):
    """`<object_id>/` (unnamed): the admin's old address of an object, sending staff on
    to its change page (which then decides)."""
    model = admin_model(label)
    change = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"

    def url(world, role):
        return reverse(change, args=[world.admin_objects[label]]).removesuffix("change/")

    return Rule(url, get=in_admin(to(change), to(change)))


ADMIN_MODEL_URL = re.compile(r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(?P<view>\w+)$")
ADMIN_OBJECT_ROUTE = re.compile(r"^en/admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")
ADMIN_CATCH_ALL = "en/admin/(?P<url>.*)$"


def rules_for(key):
    """The rules for one URL: written out in RULES, or for the admin's per-model pages
    from the tables above. [] when nobody decided who may open it."""
    if key in RULES:
        found = RULES[key]
        return found if isinstance(found, list) else [found]
    if key == ADMIN_CATCH_ALL:
        return [
            Rule(
                lambda world, role: reverse("admin:index") + "no-such-page/",
                get=in_admin(NOT_FOUND, NOT_FOUND),
            )
        ]
    if match := ADMIN_OBJECT_ROUTE.match(key):
        label = f"{match['app']}.{match['model']}"
        return [object_redirect_rule(label)] if label in COORDINATOR_OPENS else []
    for label in COORDINATOR_OPENS:
        app_label, model_name = label.split(".")
        prefix = f"admin:{app_label}_{model_name}_"
        if key.startswith(prefix):
            view = key.removeprefix(prefix)
            if view in MODEL_VIEWS or (label, view) in EXTRA_MODEL_VIEWS:
                return [model_rule(label, view)]
    return []


# --- The URLs, from the resolver -------------------------------------------------------


def every_url():
    """The key of every URL pattern in the project: its full name ("volunteers:queue"),
    or the route of the few the admin leaves unnamed. Language prefix: English."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                yield prefix + str(pattern.pattern)

    with translation.override("en"):
        return list(dict.fromkeys(walk(get_resolver().url_patterns, "", "")))


URLS = every_url()


def test_every_url_in_the_project_has_an_access_rule():
    missing = [f"new view without an access rule: {key}" for key in URLS if not rules_for(key)]
    assert not missing, "\n".join(missing)


def test_every_rule_is_for_a_url_that_still_exists():
    gone = set(RULES) - set(URLS)
    assert not gone, f"rules for URLs the project no longer has: {sorted(gone)}"
    labels = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert set(COORDINATOR_OPENS) == labels, "COORDINATOR_OPENS must list every admin model"


def test_the_resolver_walk_finds_the_admin_and_the_workspace():
    """The walk itself can fail: it must see what we know is there."""
    assert {"volunteers:claim", "requests_app:status", "admin:index"} <= set(URLS)
    assert "admin:requests_app_request_changelist" in URLS
    assert ADMIN_CATCH_ALL in URLS


# --- The world every case runs against --------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for this file, inside a transaction rolled back at the end. Each case
    runs in pytest-django's savepoint inside it, so nothing a request changes (a claim, a
    sign-out) is seen by the next case."""
    with django_db_blocker.unblock(), transaction.atomic(), translation.override("en"):
        yield build_world()
        transaction.set_rollback(True)


def build_world(**neighbor_fields):
    """Two pods and a person for each role; one neighbor with a request in each state
    (new, open, claimed and repeating, closed), one taken by phone, and an offer.
    tests/test_contact_details_stay_put.py builds it with a planted neighbor."""
    pod = make_pod("Prospect Hill", slug="prospect-hill")
    elsewhere = make_pod("Elsewhere")
    people = {
        "volunteer": make_volunteer("Ivo", pods=[pod]),
        "volunteer_elsewhere": make_volunteer("Eli", pods=[elsewhere]),
        "claimer": make_volunteer("Cleo", pods=[pod]),
        "point_person": make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"]),
        "coordinator": make_volunteer("Maria", groups=["Coordinator"]),
    }
    pod.point_people.add(people["point_person"])
    coordinator_user = people["coordinator"].user
    coordinator_user.is_staff = True
    coordinator_user.save(update_fields=["is_staff"])
    someone = make_volunteer("Sam", pods=[pod])
    pending = make_user("pat")
    Volunteer.objects.create(user=pending, name="Pat", email="pat@example.org")
    superuser = make_user("root", is_staff=True, is_superuser=True)

    neighbor = make_neighbor(
        **{"pod": pod, "phone": "+16175559001", "share_with_point_people": True} | neighbor_fields
    )
    new, open_, claimed, closed = (make_request(neighbor=neighbor, pod=pod) for _n in range(4))
    for aid_request in (open_, claimed, closed):
        aid_request.triage(by=coordinator_user, pod=pod, urgency=2)
    claimed.claim(people["claimer"])
    claimed.set_repeat("weekly", first_date=timezone.localdate(), by=people["claimer"].user)
    closed.claim(people["claimer"])
    closed.close(RequestStatus.FULFILLED, by=people["claimer"].user)
    taken = make_request(neighbor=neighbor, channel="phone", entered_by=people["volunteer"].user)
    offer = make_offer(neighbor=neighbor, pod=pod)
    make_resource()

    sessions = {"anonymous": None, "neighbor": None}
    for role, who in [*people.items(), ("pending", pending), ("superuser", superuser)]:
        sessions[role] = sign_in(Client(), who).cookies[settings.SESSION_COOKIE_NAME].value
    first_step_only = Client()
    first_step_only.force_login(coordinator_user)
    sessions["coordinator_first_step_only"] = first_step_only.cookies[
        settings.SESSION_COOKIE_NAME
    ].value

    # After every sign-in: a reset link is only good while the last sign-in stays the same.
    reset_user = people["claimer"].user
    reset_user.refresh_from_db()
    admin_objects = {
        f"{model._meta.app_label}.{model._meta.model_name}": model._default_manager.order_by(
            "pk"
        ).values_list("pk", flat=True)[0]
        for model in admin.site._registry
    }
    admin_objects["requests_app.request"] = claimed.pk
    admin_objects["requests_app.neighbor"] = neighbor.pk
    return SimpleNamespace(
        sessions=sessions,
        pod_pk=pod.pk,
        elsewhere_pk=elsewhere.pk,
        someone_pk=someone.pk,
        new_reference=new.reference,
        open_reference=open_.reference,
        claimed_reference=claimed.reference,
        claimed_pk=claimed.pk,
        category_pk=claimed.category_id,
        closed_reference=closed.reference,
        status_token=claimed.status_token,
        taken_token=taken.status_token,
        offer_reference=offer.reference,
        offer_token=offer.token,
        reset_uid=urlsafe_base64_encode(force_bytes(reset_user.pk)),
        reset_token=default_token_generator.make_token(reset_user),
        request_content_type=ContentType.objects.get_for_model(Request).pk,
        admin_objects=admin_objects,
        today=timezone.localdate().isoformat(),
    )


# --- Each URL, each method, each role ---------------------------------------------------


def roles_for(rule):
    """The neighbor has no account: they are anonymous but for their private links."""
    if any(
        expected["neighbor"] != expected["anonymous"]
        for expected in filter(None, (rule.get, rule.post))
    ):
        return ROLES
    return [role for role in ROLES if role != "neighbor"]


def cases():
    for key in URLS:
        for rule in rules_for(key):
            for method in ["GET", "POST"] if rule.post else ["GET"]:
                for role in roles_for(rule):
                    label = f"{key}({rule.variant})" if rule.variant else key
                    yield pytest.param(rule, method, role, id=f"{label}-{method}-{role}")


def client_for(world, role):
    client = Client()
    if world.sessions[role]:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def what_came_back(client, response, role):
    """The class of outcome a response belongs to."""
    if response.status_code not in (301, 302):
        return str(response.status_code)
    path = urlsplit(response["Location"]).path
    if path == reverse("admin:login") and role in STAFF:
        # The admin sends staff to its sign-in page, which sends them on to the second step.
        return what_came_back(client, client.get(response["Location"]), role)
    if path in {reverse("volunteers:login"), reverse("admin:login")}:
        return LOGIN
    if path == reverse("volunteers:two_factor"):
        return SECOND_STEP
    if any(m.level == message_levels.ERROR for m in get_messages(response.wsgi_request)):
        return REFUSED
    return to(resolve(path).view_name)


@pytest.mark.django_db
@pytest.mark.parametrize(("rule", "method", "role"), list(cases()))
def test_each_url_answers_each_role_as_its_rule_says(world, rule, method, role):
    url = rule.url(world, role)
    client = client_for(world, role)
    if method == "GET":
        response, expected = client.get(url), rule.get[role]
    else:
        response, expected = client.post(url, rule.data(world)), rule.post[role]

    got = what_came_back(client, response, role)

    assert got == expected, f"{method} {url} as {role}: expected {expected}, got {got}"
    assert response.status_code != 403, "out of reach answers 404, never a telling 403"
