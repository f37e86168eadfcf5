"""Plain factory functions: sensible defaults, override what the story needs."""

import importlib
import itertools
import time

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.antispam import form_started_token
from requests_app.models import AppliesTo, Category, Neighbor, Offer, Request, Resource
from volunteers.models import Pod, Volunteer

_counter = itertools.count(1)


def make_pod(name=None, **fields):
    n = next(_counter)
    name = name or f"Pod {n}"
    fields.setdefault("slug", f"pod-{n}")
    return Pod.objects.create(name=name, **fields)


def make_category(slug="groceries", name=None, applies_to=AppliesTo.BOTH, **fields):
    category, _created = Category.objects.get_or_create(
        slug=slug,
        defaults={"name": name or slug.replace("-", " ").capitalize(), "applies_to": applies_to}
        | fields,
    )
    return category


def make_neighbor(**fields):
    fields.setdefault("name", "Rosa")
    fields.setdefault("phone", f"+1617555{next(_counter):04d}")
    return Neighbor.objects.create(**fields)


def make_request(neighbor=None, category=None, **fields):
    return Request.objects.create(
        neighbor=neighbor or make_neighbor(),
        category=category or make_category(),
        **fields,
    )


# The roles as the data migration defines them (a flushed test database has lost them).
ROLES = importlib.import_module(
    "volunteers.migrations.0007_coordinators_join_neighbor_records"
).ROLES


def role_group(name):
    group, created = Group.objects.get_or_create(name=name)
    if created and name in ROLES:
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in ROLES[name]
        )
    return group


def make_user(username=None, groups=(), **fields):
    username = username or f"user{next(_counter)}"
    user = User.objects.create_user(username=username, password="pw", **fields)
    for name in groups:
        user.groups.add(role_group(name))
    return user


def make_volunteer(name="Ana", pods=(), languages=("en",), groups=("Volunteer",), **fields):
    user = make_user(first_name=name, groups=groups)
    volunteer = Volunteer.objects.create(
        user=user,
        name=name,
        languages=list(languages),
        approved_at=timezone.now(),
        **fields,
    )
    volunteer.pods.set(pods)
    return volunteer


def make_offer(neighbor=None, category=None, **fields):
    return Offer.objects.create(
        neighbor=neighbor or make_neighbor(),
        category=category or make_category(),
        **fields,
    )


def make_resource(name="Community fridge", categories=(), **fields):
    resource = Resource.objects.create(name=name, **fields)
    resource.categories.set(categories)
    return resource


def form_started(seconds_ago=30):
    """The signed 'form shown at' value a real page would have rendered."""
    return form_started_token(time.time() - seconds_ago)


def ask_data(**overrides):
    """What a neighbor types into the ask form; override what the story needs."""
    data = {
        "needs": [str(make_category("groceries", applies_to=AppliesTo.NEEDS).pk)],
        "details": "Rice, milk and size 4 diapers.",
        "urgency": "2",
        "name": "Rosa",
        "phone": "617-555-0142",
        "email": "",
        "preferred_contact": "call",
        "best_time": "Evenings",
        "language": "en",
        "address": "Moody St and Main St",
        "pod": "",
        "share_with_point_people": "no",
        "homepage": "",
        "started": form_started(),
    }
    data.update(overrides)
    return data


def sign_in(client, who):
    """Sign a test client in as a volunteer (or user). Coordinators also pass their second
    step, as they would with their phone: the session records a confirmed TOTP device."""
    user = getattr(who, "user", who)
    client.force_login(user)
    if user.is_staff or user.is_superuser or user.groups.filter(name="Coordinator").exists():
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="phone", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def load_demo_network():
    """The demo network of `make run`, for a transactional (browser) test, which starts
    from a flushed database: first what the migrations seed (needs, role groups)."""
    importlib.import_module("requests_app.migrations.0003_seed_categories").seed(apps, None)
    for role in ROLES:
        role_group(role)
    call_command("load_demo_data", verbosity=0)
