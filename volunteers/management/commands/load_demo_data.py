"""Demo data for `make run`: three pods, four logins, neighbors with requests in every
stage, offers and resources. Idempotent: running it again changes nothing.

The demo logins exist only here; a real network creates its own in the admin.
"""

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from requests_app.models import (
    Category,
    Channel,
    Neighbor,
    Offer,
    Request,
    RequestStatus,
    Resource,
    Urgency,
)
from volunteers.models import Pod, Volunteer

DEMO_PASSWORD = "waltham-demo"

PODS = [
    (
        "prospect-hill",
        "Prospect Hill",
        "Colonial Heights",
        "Prospect Hill Park, Lincoln St to Totten Pond Rd",
    ),
    ("south-side", "South Side", "Lado Sur", "Moody St, Newton St, the Common and the river"),
    ("warrendale", "Warrendale", "Warrendale", "Warren St, Beaver St, around Warrendale Park"),
]

# username: (first name, groups, pods, pods led, languages, is_staff)
LOGINS = {
    "coordinator": ("Maria", ["Coordinator"], [], [], ["en", "es"], True),
    "pointperson": (
        "Ana",
        ["Volunteer", "Point person"],
        ["prospect-hill"],
        ["prospect-hill"],
        ["en", "pt-br"],
        False,
    ),
    "volunteer1": ("Ben", ["Volunteer"], ["prospect-hill"], [], ["en", "ht"], False),
    "volunteer2": ("Chen", ["Volunteer"], ["south-side"], [], ["en", "zh-hans"], False),
}

# email: (name, phone, language, pod, [(category, urgency, details, how far along)])
NEIGHBORS = {
    "rosa@example.org": (
        "Rosa",
        "+16175550101",
        "es",
        "south-side",
        [
            ("groceries", Urgency.TODAY, "Arroz, leche y pañales talla 4, por favor.", "new"),
            ("childcare", Urgency.THIS_WEEK, "El jueves por la tarde, dos niños.", "open"),
        ],
    ),
    "jean@example.org": (
        "Jean",
        "+16175550102",
        "ht",
        "prospect-hill",
        [
            (
                "transportation",
                Urgency.THIS_WEEK,
                "Mwen bezwen yon woulib pou randevou doktè mèkredi.",
                "claimed",
            ),
        ],
    ),
    "wei@example.org": (
        "Wei",
        "+16175550103",
        "zh-hans",
        "south-side",
        [
            ("companionship", Urgency.WHENEVER, "每周打一次电话聊聊天就好。", "open"),
        ],
    ),
    "samira@example.org": (
        "Samira",
        "+16175550104",
        "ar",
        "warrendale",
        [
            ("household", Urgency.WHENEVER, "نحتاج إلى سرير للأطفال وبطانيات.", "fulfilled"),
        ],
    ),
    "tom@example.org": (
        "Tom",
        "+16175550105",
        "en",
        "prospect-hill",
        [
            ("pets", Urgency.THIS_WEEK, "Walk my dog Biscuit while my knee heals.", "new"),
            (
                "rent-utilities",
                Urgency.THIS_WEEK,
                "Electric bill is overdue, shutoff notice for the 30th.",
                "could-not-help",
            ),
        ],
    ),
}

RESOURCES = [
    {
        "name": "Waltham Community Fridge",
        "name_es": "Refrigerador Comunitario de Waltham",
        "description": "Free food, open to everyone. Take what you need, leave what you can.",
        "description_es": "Comida gratis, abierta a todos. Tome lo que necesite, deje lo que pueda.",
        "hours": "Every day, all day",
        "hours_es": "Todos los días, todo el día",
        "address": "Moody St, by the library",
        "categories": ["groceries", "meals"],
    },
    {
        "name": "Fuel and utility assistance line",
        "name_es": "Línea de ayuda para calefacción y servicios",
        "description": "Help with heating and electric bills; they speak many languages.",
        "description_es": "Ayuda con las facturas de calefacción y luz; hablan muchos idiomas.",
        "hours": "Monday to Friday, 9 to 5",
        "hours_es": "De lunes a viernes, de 9 a 5",
        "phone": "(781) 555-0199",
        "categories": ["rent-utilities"],
    },
]


class Command(BaseCommand):
    help = "Load demo pods, logins, neighbors, requests, offers and resources (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        pods = {slug: self._pod(slug, name, name_es, area) for slug, name, name_es, area in PODS}
        volunteers = {
            username: self._login(username, *spec, pods) for username, spec in LOGINS.items()
        }
        for email, spec in NEIGHBORS.items():
            self._neighbor(email, *spec, pods, volunteers)
        for spec in RESOURCES:
            self._resource(dict(spec))
        self._offer(pods)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Pod.objects.count()} pods, {Volunteer.objects.count()} volunteers, "
                f"{Request.objects.count()} requests. Logins (password {DEMO_PASSWORD}): "
                + ", ".join(LOGINS)
            )
        )

    def _pod(self, slug, name, name_es, area):
        pod, _created = Pod.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_es": name_es, "area_description": area}
        )
        return pod

    def _login(self, username, first_name, groups, pod_slugs, led, languages, is_staff, pods):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "email": f"{username}@example.org",
                "is_staff": is_staff,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.set(Group.objects.filter(name__in=groups))
        volunteer, created = Volunteer.objects.get_or_create(
            user=user,
            defaults={
                "name": first_name,
                "email": user.email,
                "languages": languages,
                "approved_at": timezone.now(),
                "agreed_to_privacy_at": timezone.now(),
            },
        )
        if created:
            volunteer.pods.set(pods[slug] for slug in pod_slugs)
            for slug in led:
                pods[slug].point_people.add(volunteer)
        return volunteer

    def _neighbor(self, email, name, phone, language, pod_slug, needs, pods, volunteers):
        neighbor, created = Neighbor.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "phone": phone,
                "language": language,
                "pod": pods[pod_slug],
                "preferred_contact": "call",
                "share_with_point_people": True,
            },
        )
        if not created:
            return
        coordinator = volunteers["coordinator"].user
        helper = volunteers["volunteer1"]
        for slug, urgency, details, stage in needs:
            aid_request = Request.objects.create(
                neighbor=neighbor,
                category=Category.objects.get(slug=slug),
                urgency=urgency,
                details=details,
                language=language,
                pod=pods[pod_slug],
                channel=Channel.WEB,
            )
            aid_request.record("submitted", by_neighbor=True)
            if stage == "new":
                continue
            aid_request.triage(by=coordinator, pod=pods[pod_slug], urgency=urgency)
            if stage == "open":
                continue
            aid_request.claim(helper)
            if stage == "fulfilled":
                aid_request.close(
                    RequestStatus.FULFILLED, by=helper.user, note="Delivered on Saturday."
                )
            elif stage == "could-not-help":
                aid_request.close(
                    RequestStatus.COULD_NOT_HELP,
                    by=helper.user,
                    note="We could not raise the money this week.",
                    referral=Resource.objects.filter(categories__slug="rent-utilities").first(),
                )

    def _resource(self, spec):
        categories = spec.pop("categories")
        resource, created = Resource.objects.get_or_create(name=spec["name"], defaults=spec)
        if created:
            resource.categories.set(Category.objects.filter(slug__in=categories))

    def _offer(self, pods):
        neighbor, created = Neighbor.objects.get_or_create(
            email="lee@example.org",
            defaults={
                "name": "Lee",
                "phone": "+16175550106",
                "language": "en",
                "pod": pods["warrendale"],
            },
        )
        if created:
            Offer.objects.create(
                neighbor=neighbor,
                category=Category.objects.get(slug="transportation"),
                details="I have a car and can drive to appointments.",
                availability="Weekday mornings",
                pod=pods["warrendale"],
                languages=["en"],
            )
