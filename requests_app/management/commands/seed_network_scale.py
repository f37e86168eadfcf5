"""Fill an empty PostgreSQL database with a city network in a crisis month, for `make bench`.

The crisis profile (scaled by --scale): 500 pods, 20,000 neighbors, 100,000 requests in
every status and language, 20,000 offers, 2,000 volunteers and 300,000 timeline events.
It is a stress shape, not an average month: 80 % of the requests wait in the queue (new or
open), so that a page 75,000 rows deep exists. The backlog profile is a network that fell
behind: 10,000 requests, exactly 2,500 of them open.

Rows go in with COPY (bulk_create for the few hundred pods and the logins), in a fixed
order from a fixed random seed, and respect every database constraint: closed exactly
when an outcome is set, at most one active claim per request, valid statuses, kinds and
languages. VACUUM ANALYZE at the end, so the planner sees the real sizes.
"""

import io
import json
import random
import sys
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone, translation
from tqdm import tqdm

from requests_app.models import (
    CLOSED,
    REFERENCE_ALPHABET,
    Category,
    Channel,
    Claim,
    ContactMethod,
    Event,
    EventKind,
    Neighbor,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Resource,
)
from volunteers.models import Pod, Volunteer

S = RequestStatus
CLOSED_WITH_A_HELPER = [S.FULFILLED, S.DONE_BY_OTHERS, S.COULD_NOT_HELP, S.UNREACHABLE, S.DUPLICATE]

PROFILES = {
    "crisis": {
        "pods": 500,
        "neighbors": 20_000,
        "requests": 100_000,
        "offers": 20_000,
        "volunteers": 2_000,
        "events": 300_000,
        "statuses": {
            S.NEW: 0.15,
            S.OPEN: 0.65,
            S.CLAIMED: 0.08,
            **dict.fromkeys([*CLOSED_WITH_A_HELPER, S.WITHDRAWN], 0.02),
        },
        "days": 45,
    },
    "backlog": {
        "pods": 60,
        "neighbors": 3_000,
        "requests": 10_000,
        "offers": 2_000,
        "volunteers": 300,
        "events": 40_000,
        "statuses": {
            S.NEW: 0.03,
            S.OPEN: 0.25,
            S.CLAIMED: 0.07,
            **dict.fromkeys([*CLOSED_WITH_A_HELPER, S.WITHDRAWN], 0.65 / 6),
        },
        "days": 120,
    },
}
COORDINATORS = 5
COPY_CHUNK = 20_000

# Who asks in which language: a city network's mix, every language present.
LANGUAGE_WEIGHTS = {"en": 40, "es": 25, "pt-br": 10, "ht": 10, "zh-hans": 8, "ar": 7}
DETAILS = [
    "Rice, milk and size 4 diapers.",
    "Arroz, leche y pañales.",
    "Preciso de ajuda com o mercado esta semana.",
    "Mwen bezwen manje pou twa timoun.",
    "需要帮忙买菜，谢谢。",
    "أحتاج إلى مساعدة في شراء الطعام.",
    "A ride to the clinic on Thursday morning.",
    "",
]


def exact_counts(total, shares):
    """Split `total` by `shares` into whole numbers that add up exactly (largest remainder)."""
    raw = {key: total * share / sum(shares.values()) for key, share in shares.items()}
    counts = {key: int(value) for key, value in raw.items()}
    for key in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[
        : total - sum(counts.values())
    ]:
        counts[key] += 1
    return counts


def reference(n):
    """The n-th reference, unique for n below 31**6: a multiplication modulo 31**6 by a
    number prime to 31 is a permutation, so neighbouring requests get unrelated codes."""
    x = (n * 387_420_491 + 7_654_321) % 31**6
    chars = []
    for _position in range(6):
        x, digit = divmod(x, 31)
        chars.append(REFERENCE_ALPHABET[digit])
    return f"{''.join(chars[:4])}-{''.join(chars[4:])}"


def copy_text(value):
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")
        )
    return text


def copy_rows(model, columns, rows, *, total, progress):
    """COPY `rows` (tuples in the order of `columns`, field attnames) into the model's table.
    Every other column gets the field's default, the same for every row."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    missing = [field for name, field in fields.items() if name not in columns]
    for field in missing:
        if field.unique or not (field.null or field.blank or field.has_default()):
            raise CommandError(f"{model.__name__}.{field.name} needs a value in the seed.")
    constant = "\t".join(copy_text(field.get_default()) for field in missing)
    names = ", ".join(
        connection.ops.quote_name(column)
        for column in [fields[name].column for name in columns] + [f.column for f in missing]
    )
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
    bar = tqdm(total=total, desc=f"{model._meta.verbose_name_plural}", unit=" rows", **progress)
    buffer = io.StringIO()
    written = 0
    with connection.cursor() as cursor:
        for row in rows:
            line = "\t".join(map(copy_text, row))
            buffer.write(f"{line}\t{constant}\n" if missing else f"{line}\n")
            written += 1
            if written % COPY_CHUNK == 0:
                buffer.seek(0)
                cursor.copy_expert(sql, buffer)
                buffer = io.StringIO()
                bar.update(COPY_CHUNK)
        buffer.seek(0)
        cursor.copy_expert(sql, buffer)
    bar.update(written % COPY_CHUNK)
    bar.close()
    return written


class Command(BaseCommand):
    help = "Seed an empty PostgreSQL database at network scale (for make bench)."

    def add_arguments(self, parser):
        parser.add_argument("--profile", choices=sorted(PROFILES), default="crisis")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply every count (0.1 for a quick run)"
        )
        parser.add_argument("--seed", type=int, default=2020)

    def handle(self, *args, profile, scale, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_network_scale needs PostgreSQL (COPY): set DATABASE_URL.")
        if Request.objects.exists():
            raise CommandError("The database already has requests: seed an empty one.")
        plan = PROFILES[profile]
        self.counts = {
            key: max(2, round(plan[key] * scale))
            for key in ["pods", "neighbors", "requests", "offers", "volunteers", "events"]
        }
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.days = plan["days"]
        self.progress = {"file": sys.stderr, "disable": not sys.stderr.isatty(), "leave": False}
        started = time.monotonic()
        translation.activate(settings.LANGUAGE_CODE)
        with transaction.atomic():
            self.make_pods_and_volunteers()
            self.make_neighbors()
        with transaction.atomic():
            self.make_requests(exact_counts(self.counts["requests"], plan["statuses"]))
        with transaction.atomic():
            self.make_claims_and_events()
        with transaction.atomic():
            self.make_offers()
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Neighbor, Request, Claim, Event, Offer]
                ):
                    cursor.execute(sql)
        with connection.cursor() as cursor:
            # As autovacuum would leave it: statistics, and a visibility map for index-only scans.
            cursor.execute("VACUUM ANALYZE")
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Seeded the {profile} profile in {seconds:.0f} s: "
            + ", ".join(f"{self.made[name]:,} {name}" for name in self.made)
        )

    # --- People -----------------------------------------------------------------------

    def make_pods_and_volunteers(self):
        rng, counts = self.rng, self.counts
        pods = Pod.objects.bulk_create(
            Pod(name=f"Pod {n:03d}", slug=f"bench-pod-{n:03d}", area_description=f"Street {n}")
            for n in range(1, counts["pods"] + 1)
        )
        self.pod_ids = [pod.pk for pod in pods]
        resources = Resource.objects.bulk_create(
            Resource(name=f"Community pantry {n}", hours="Mon-Fri 9-5") for n in range(1, 21)
        )
        self.resource_ids = [resource.pk for resource in resources]
        self.need_ids = list(Category.objects.for_needs().values_list("pk", flat=True))
        self.offer_category_ids = list(Category.objects.for_offers().values_list("pk", flat=True))
        if not self.need_ids or not self.offer_category_ids:
            raise CommandError("No categories: run migrations first (they seed the needs).")

        how_many = counts["volunteers"]
        # About one in twenty waits for approval; 19 is prime to the pod count, so every pod
        # keeps approved volunteers.
        approved = [n for n in range(how_many) if n % 19 != 18]
        unusable = make_password(None)
        users = User.objects.bulk_create(
            User(
                username=f"bench-volunteer-{n:05d}",
                first_name=f"Volunteer {n}",
                password=unusable,
                is_staff=n < COORDINATORS,
                date_joined=self.now,
            )
            for n in approved
        )
        user_for = dict(zip(approved, users, strict=True))
        codes = list(LANGUAGE_WEIGHTS)
        volunteers = Volunteer.objects.bulk_create(
            Volunteer(
                user=user_for.get(n),
                name=f"Volunteer {n}",
                email=f"volunteer{n}@example.org",
                languages=["en"] + ([rng.choice(codes[1:])] if rng.random() < 0.4 else []),
                language=rng.choice(codes),
                approved_at=self.now - timedelta(days=60) if n in user_for else None,
                agreed_to_privacy_at=self.now - timedelta(days=61),
                created_at=self.now - timedelta(days=61),
            )
            for n in range(how_many)
        )
        # Every pod gets volunteers in turn, some a second pod; the first two approved
        # volunteers of each pod lead it.
        memberships, leads = [], []
        self.pod_volunteers = {pod_id: [] for pod_id in self.pod_ids}
        for n, volunteer in enumerate(volunteers):
            pods_of = {self.pod_ids[n % len(self.pod_ids)]}
            if rng.random() < 0.3:
                pods_of.add(rng.choice(self.pod_ids))
            for pod_id in pods_of:
                memberships.append(Volunteer.pods.through(volunteer_id=volunteer.pk, pod_id=pod_id))
                if volunteer.user_id:
                    self.pod_volunteers[pod_id].append((volunteer.pk, volunteer.user_id))
        for pod_id, members in self.pod_volunteers.items():
            for volunteer_id, _user_id in members[:2]:
                leads.append(Pod.point_people.through(pod_id=pod_id, volunteer_id=volunteer_id))
        Volunteer.pods.through.objects.bulk_create(memberships)
        Pod.point_people.through.objects.bulk_create(leads)
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_NAMES}
        led = {lead.volunteer_id for lead in leads}
        group_rows = []
        for volunteer in volunteers:
            if not volunteer.user_id:
                continue
            names = ["Volunteer"]
            if volunteer.pk in led:
                names.append("Point person")
            if volunteer.user.is_staff:
                names.append("Coordinator")
            group_rows += [
                User.groups.through(user_id=volunteer.user_id, group_id=groups[name].pk)
                for name in names
            ]
        User.groups.through.objects.bulk_create(group_rows)
        self.helpers = [(v.pk, v.user_id) for v in volunteers if v.user_id]
        self.made = {"pods": len(pods), "volunteers": len(volunteers)}

    def make_neighbors(self):
        rng = self.rng
        codes, weights = list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values())
        self.neighbors = []  # (language, pod_id) by position; ids are 1..n
        rows = []
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM requests_app_neighbor")
            first_id = cursor.fetchone()[0] + 1
        self.neighbor_first_id = first_id
        for n in range(self.counts["neighbors"]):
            language = rng.choices(codes, weights)[0]
            pod_id = rng.choice(self.pod_ids) if rng.random() < 0.9 else None
            self.neighbors.append((language, pod_id))
            kind = rng.random()
            erased = rng.random() < 0.02
            phone = "" if erased or kind > 0.85 else f"+1617{n:07d}"
            email = "" if erased or kind < 0.6 else f"neighbor{n}@example.org"
            rows.append(
                (
                    first_id + n,
                    "" if erased else f"Neighbor {n}",
                    phone,
                    email,
                    bool(phone) and rng.random() < 0.3,
                    "" if erased else (ContactMethod.CALL if phone else ContactMethod.EMAIL),
                    language,
                    "" if erased else f"{n % 90 + 1} Moody St",
                    pod_id,
                    rng.random() < 0.5,
                    self.now - timedelta(days=self.days + 5),
                    self.now - timedelta(days=1) if erased else None,
                )
            )
        columns = [
            "id",
            "name",
            "phone",
            "email",
            "whatsapp_ok",
            "preferred_contact",
            "language",
            "address",
            "pod_id",
            "share_with_point_people",
            "created_at",
            "contact_erased_at",
        ]
        self.made["neighbors"] = copy_rows(
            Neighbor, columns, rows, total=len(rows), progress=self.progress
        )

    # --- Requests, claims, events -----------------------------------------------------

    def when(self):
        """A moment in the crisis month, more of them recent."""
        return self.now - timedelta(seconds=self.days * 86400 * self.rng.random() ** 1.5)

    def make_requests(self, status_counts):
        rng = self.rng
        statuses = [status for status, count in status_counts.items() for _n in range(count)]
        rng.shuffle(statuses)
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM requests_app_request")
            first_id = cursor.fetchone()[0] + 1
        self.requests = []  # (id, status, created_at, closed_at, pod_id, language)
        rows = []
        position = 0
        total = len(statuses)
        while position < total:
            # One submission: a neighbor, one to three needs, one private status link.
            neighbor_index = rng.randrange(len(self.neighbors))
            language, pod_id = self.neighbors[neighbor_index]
            token = f"bench{rng.getrandbits(160):040x}"
            created = self.when()
            urgency = rng.choice([1, 2, 2, 3])
            channel = Channel.WEB if rng.random() < 0.85 else Channel.PHONE
            entered_by = None if channel == Channel.WEB else rng.choice(self.helpers)[1]
            needs = rng.sample(self.need_ids, min(len(self.need_ids), rng.choice([1, 1, 1, 2, 3])))
            for category_id in needs:
                if position == total:
                    break
                request_id = first_id + position
                status = statuses[position]
                position += 1
                age = (self.now - created).total_seconds()
                changed = created + timedelta(seconds=age * rng.random())
                closed = changed if status in CLOSED else None
                escalated = (
                    created + timedelta(hours=48)
                    if status == S.OPEN and age > 48 * 3600 and rng.random() < 0.5
                    else None
                )
                rows.append(
                    (
                        request_id,
                        reference(request_id),
                        token,
                        self.neighbor_first_id + neighbor_index,
                        category_id,
                        rng.choice(DETAILS),
                        urgency,
                        language,
                        pod_id,
                        channel,
                        entered_by,
                        status,
                        changed,
                        "We could not find a driver in time." if status == S.COULD_NOT_HELP else "",
                        rng.choice(self.resource_ids)
                        if status == S.COULD_NOT_HELP and rng.random() < 0.5
                        else None,
                        # The same need asked twice: it points at the request before it.
                        request_id - 1 if status == S.DUPLICATE and request_id > first_id else None,
                        closed,
                        created,
                        escalated,
                    )
                )
                self.requests.append((request_id, status, created, closed, pod_id, language))
        columns = [
            "id",
            "reference",
            "status_token",
            "neighbor_id",
            "category_id",
            "details",
            "urgency",
            "language",
            "pod_id",
            "channel",
            "entered_by_id",
            "status",
            "status_changed_at",
            "outcome_note",
            "referral_id",
            "duplicate_of_id",
            "closed_at",
            "created_at",
            "escalated_at",
        ]
        self.made["requests"] = copy_rows(
            Request, columns, rows, total=len(rows), progress=self.progress
        )

    def helper_for(self, pod_id):
        members = self.pod_volunteers.get(pod_id) if pod_id else None
        return self.rng.choice(members or self.helpers)

    def between(self, start, end):
        return start + (end - start) * self.rng.random()

    def make_claims_and_events(self):
        rng = self.rng
        claims, events = [], []
        point_person = {
            pod_id: members[0] for pod_id, members in self.pod_volunteers.items() if members
        }
        # Who did what on each request: (request id, kind, actor, by neighbor, text, when).
        active = []  # requests that can get more events: (id, start, end, helper user)
        for request_id, status, created, closed, pod_id, _language in self.requests:
            end = closed or self.now
            events.append((request_id, EventKind.SUBMITTED, None, True, "", created))
            if status == S.NEW:
                active.append((request_id, created, end, None))
                continue
            triager = (point_person.get(pod_id) or rng.choice(self.helpers))[1]
            triaged = self.between(created, end)
            events.append((request_id, EventKind.TRIAGED, triager, False, "", triaged))
            helper = None
            if status == S.CLAIMED or status in CLOSED_WITH_A_HELPER and rng.random() < 0.9:
                helper = self.helper_for(pod_id)
                claimed = self.between(triaged, end)
                claims.append((request_id, helper[0], claimed, None, ""))
                events.append((request_id, EventKind.CLAIMED, helper[1], False, "", claimed))
            elif status == S.OPEN and rng.random() < 0.05:
                # Someone took it and gave it back: history, not an active claim.
                earlier = self.helper_for(pod_id)
                claimed = self.between(triaged, end)
                released = self.between(claimed, end)
                claims.append((request_id, earlier[0], claimed, released, "Away this week."))
                events.append((request_id, EventKind.CLAIMED, earlier[1], False, "", claimed))
                events.append(
                    (request_id, EventKind.RELEASED, earlier[1], False, "Away this week.", released)
                )
            if status == S.UNREACHABLE:
                for _try in range(2):
                    events.append(
                        (
                            request_id,
                            EventKind.CONTACT_ATTEMPT,
                            helper[1] if helper else triager,
                            False,
                            "No answer, left a message.",
                            self.between(triaged, end),
                        )
                    )
            if status == S.WITHDRAWN:
                events.append((request_id, EventKind.WITHDRAWN, None, True, "", closed))
            elif closed:
                closer = helper[1] if helper else triager
                events.append((request_id, EventKind.CLOSED, closer, False, status, closed))
            active.append((request_id, triaged, end, helper[1] if helper else triager))
        # The rest of the timeline: notes, messages both ways, tries, looks at contact details.
        extra_kinds = [
            (EventKind.NOTE, False, "Called, will go Saturday."),
            (EventKind.MESSAGE_FROM_NEIGHBOR, True, "Thank you! Evenings are best."),
            (EventKind.MESSAGE_TO_NEIGHBOR, False, "I can bring it on Saturday morning."),
            (EventKind.CONTACT_ATTEMPT, False, "No answer."),
            (EventKind.CONTACT_VIEWED, False, ""),
        ]
        for _n in range(max(0, self.counts["events"] - len(events))):
            request_id, start, end, user_id = rng.choice(active)
            kind, by_neighbor, text = rng.choice(extra_kinds)
            if user_id is None:
                kind, by_neighbor, text = extra_kinds[1]
            events.append(
                (
                    request_id,
                    kind,
                    None if by_neighbor else user_id,
                    by_neighbor,
                    text,
                    self.between(start, end),
                )
            )
        self.made["claims"] = copy_rows(
            Claim,
            ["id", "request_id", "volunteer_id", "claimed_at", "released_at", "release_reason"],
            ((n + 1, *claim) for n, claim in enumerate(claims)),
            total=len(claims),
            progress=self.progress,
        )
        self.made["events"] = copy_rows(
            Event,
            ["id", "request_id", "kind", "actor_id", "by_neighbor", "text", "created_at"],
            ((n + 1, *event) for n, event in enumerate(events)),
            total=len(events),
            progress=self.progress,
        )

    def make_offers(self):
        rng = self.rng
        codes = list(LANGUAGE_WEIGHTS)
        volunteers = list(Volunteer.objects.filter(user__isnull=False).values_list("pk", flat=True))
        statuses = (
            [OfferStatus.AVAILABLE] * 14 + [OfferStatus.PAUSED] * 3 + [OfferStatus.FINISHED] * 3
        )
        rows = []
        for n in range(self.counts["offers"]):
            by_volunteer = rng.random() < 0.3
            status = rng.choice(statuses)
            created = self.when()
            rows.append(
                (
                    n + 1,
                    reference(31**5 + n),
                    f"bench{rng.getrandbits(160):040x}",
                    None
                    if by_volunteer
                    else self.neighbor_first_id + rng.randrange(len(self.neighbors)),
                    rng.choice(volunteers) if by_volunteer else None,
                    rng.choice(self.offer_category_ids),
                    "I have a car on Tuesdays and Thursdays.",
                    "Tuesday and Thursday afternoons",
                    rng.choice(self.pod_ids) if rng.random() < 0.8 else None,
                    ["en"] + ([rng.choice(codes[1:])] if rng.random() < 0.5 else []),
                    status,
                    rng.random() < 0.05,
                    created,
                    self.between(created, self.now) if status == OfferStatus.FINISHED else None,
                )
            )
        columns = [
            "id",
            "reference",
            "token",
            "neighbor_id",
            "volunteer_id",
            "category_id",
            "details",
            "availability",
            "pod_id",
            "languages",
            "status",
            "serves_many",
            "created_at",
            "ended_at",
        ]
        self.made["offers"] = copy_rows(
            Offer, columns, rows, total=len(rows), progress=self.progress
        )


ROLE_NAMES = ["Volunteer", "Point person", "Coordinator"]
