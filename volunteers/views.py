import csv
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import override as language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from requests_app.antispam import allow_public_post, rate_limited
from requests_app.exports import safe_cell
from requests_app.forms import PUBLIC_CHOICES
from requests_app.keyset import paginate
from requests_app.models import (
    Category,
    EventKind,
    InvalidTransition,
    Offer,
    OfferedToSomeoneElse,
    Request,
    RequestStatus,
    RotaSignup,
    Translation,
)
from requests_app.services import close_request, create_requests, status_url
from volunteers.access import (
    get_request_for,
    reveal_contact_details,
    staff_page,
    volunteer_required,
)
from volunteers.flyers import flyer_for, short_address
from volunteers.forms import (
    AttemptForm,
    CloseForm,
    QueueFilterForm,
    ReasonForm,
    ReassignForm,
    RepeatForm,
    SignUpForm,
    TakeRequestForm,
    TextForm,
    TranslationForm,
    TriageForm,
)
from volunteers.languages import needs_interpreter_in
from volunteers.links import link_rows
from volunteers.models import Pod
from volunteers.queue import queue_page
from volunteers.reports import TABLES, build_report
from volunteers.services import (
    AlreadyTaken,
    claim_request,
    connect_offer,
    give_back_everything,
    message_neighbor,
    reassign_claim,
)
from volunteers.services import sign_up as sign_up_volunteer
from waltham_aid.kept_pages import kept_in_memory

MATCHES_SHOWN = 10


# --- Public: joining -------------------------------------------------------------------


@kept_in_memory(drawn_from=PUBLIC_CHOICES)
def sign_up(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not allow_public_post(request, "sign_up"):
            return rate_limited(request, "volunteers/sign_up.html", form)
        data = form.cleaned_data
        sign_up_volunteer(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            languages=data["languages"],
            pods=data["pods"],
            categories=data["categories"],
            availability=data["availability"],
            language=get_language(),
        )
        return redirect("volunteers:signed_up")
    return render(request, "volunteers/sign_up.html", {"form": form})


def signed_up(request):
    return render(request, "volunteers/signed_up.html")


# --- The workspace: lists --------------------------------------------------------------


LIST_PAGE_SIZE = 25


def _without(request, name):
    """The page's query string without one parameter, for links that set it anew."""
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


def _filtered_queue(requests, chosen):
    status = chosen.get("status")
    if status:
        requests = requests.filter(status=status)
    else:
        requests = requests.filter(status__in=[RequestStatus.NEW, RequestStatus.OPEN])
    for field, lookup in [
        ("pod", "pod"),
        ("need", "category"),
        ("language", "language"),
        ("urgency", "urgency"),
    ]:
        if chosen.get(field):
            requests = requests.filter(**{lookup: chosen[field]})
    if chosen.get("older_than"):
        cutoff = timezone.now() - timedelta(days=chosen["older_than"])
        requests = requests.filter(created_at__lt=cutoff)
    if chosen.get("unclaimed"):
        requests = requests.exclude(status=RequestStatus.CLAIMED)
    return requests


@volunteer_required
def queue(request, *, role):
    """Open and new requests: my languages and my pods first, then the rest of the
    network; most urgent, then oldest. No contact details here. Paged by a cursor
    (volunteers/queue.py explains how)."""
    filters = QueueFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    requests = _filtered_queue(Request.objects.all(), chosen)
    if chosen.get("needs_interpreter"):
        requests = requests.filter(needs_interpreter_in(role.volunteer.languages or []))
    page = queue_page(requests, role, request.GET.get("cursor"))
    link_rows(page, link="volunteers:request", claim_link="volunteers:claim")
    return render(
        request,
        "volunteers/queue.html",
        {"filters": filters, "page": page, "query": _without(request, "cursor")},
    )


@volunteer_required
def my_work(request, *, role):
    """My claimed requests and, for point people, what needs attention in their pods.
    Each list pages on its own, by a cursor in its own parameter."""
    return _my_work_page(request, role)


@require_POST
@volunteer_required
def give_back(request, *, role):
    """I can't do these now: every request I took goes back to its pod, with a few
    words for the pod (give_back_everything)."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _my_work_page(request, role, status=400, give_back_form=form)
    given_back = give_back_everything(
        role.volunteer, by=request.user, reason=form.cleaned_data["reason"]
    )
    if given_back:
        messages.success(
            request,
            ngettext(
                "%(count)d request went back to its pod. Thank you for saying so.",
                "%(count)d requests went back to their pods. Thank you for saying so.",
                len(given_back),
            )
            % {"count": len(given_back)},
        )
    else:
        messages.info(request, _("You had no requests to give back."))
    return redirect("volunteers:my_work")


def _my_work_page(request, role, *, status=200, give_back_form=None):
    listed = Request.objects.select_related("category", "pod")
    mine = (
        listed.claimed_by(role.volunteer)
        .filter(status=RequestStatus.CLAIMED)
        .with_activity()
        .annotate(quiet_since=Coalesce("last_activity", "created_at"))
    )
    untold = role.outcomes_to_tell(listed)
    lists = {
        "mine": paginate(
            mine,
            request.GET.get("mine"),
            keys=("quiet_since", "pk"),
            size=LIST_PAGE_SIZE,
            list_name="my-work:mine",
        ),
        "untold": paginate(
            untold,
            request.GET.get("untold"),
            keys=("closed_at", "pk"),
            size=LIST_PAGE_SIZE,
            list_name="my-work:untold",
        ),
        "attention": None,
    }
    if role.led_pod_ids or role.coordinator:
        in_my_pods = listed if role.coordinator else listed.filter(pod__in=role.led_pod_ids)
        lists["attention"] = paginate(
            in_my_pods.with_activity().needing_attention(now=timezone.now()),
            request.GET.get("attention"),
            keys=("created_at", "pk"),
            size=LIST_PAGE_SIZE,
            list_name="my-work:attention",
        )
    for page in lists.values():
        link_rows(page or [], link="volunteers:request")
    return render(
        request,
        "volunteers/my_work.html",
        {
            **lists,
            **{f"{name}_query": _without(request, name) for name in lists},
            "give_back_form": give_back_form or ReasonForm(),
        },
        status=status,
    )


# --- The workspace: one request --------------------------------------------------------


def _request_page(request, role, aid_request, *, status=200, **forms):
    offers = list(
        Offer.objects.available()
        .filter(Q(category=aid_request.category_id) | Q(pod=aid_request.pod_id))
        .select_related("category", "pod")[:50]
    )
    # The need itself first, then a shared language, then the same pod.
    offers.sort(
        key=lambda offer: (
            offer.category_id != aid_request.category_id,
            aid_request.language not in offer.languages,
            offer.pod_id != aid_request.pod_id,
            offer.created_at,
        )
    )
    # Every translation on the page in one query: the details' and each message's.
    translations = defaultdict(list)
    for translation in aid_request.translations.select_related("translator"):
        translations[translation.event_id].append(translation)
    events = list(aid_request.events.select_related("actor").order_by("created_at", "pk"))
    new_translation = TranslationForm(
        initial={
            "language": next(
                (code for code in role.volunteer.languages if code != aid_request.language),
                "en",
            )
        }
    )
    # A translation refused comes back, with its error, under what it translated: one
    # message, or the request's details.
    refused = forms.get("translation_form")
    refused_event = refused.data.get("event", "") if refused else ""
    for event in events:
        event.shown_translations = translations.get(event.pk, [])
        under_it = refused_event == str(event.pk) and event.is_message
        event.refused_translation = refused if under_it else None
    under_a_message = any(event.refused_translation for event in events)
    context = {
        "aid_request": aid_request,
        "events": events,
        "detail_translations": translations.get(None, []),
        "translation_form": refused if refused and not under_a_message else new_translation,
        "message_translation_form": new_translation,
        "claim": aid_request.active_claim,
        "is_mine": role.claimed(aid_request),
        "can_claim": aid_request.status in {RequestStatus.NEW, RequestStatus.OPEN},
        "can_manage": role.can_manage(aid_request) and not aid_request.is_closed,
        "can_triage": role.can_triage(aid_request),
        "can_see_contact": role.can_see_contact(aid_request),
        "can_reopen": role.can_triage(aid_request) and aid_request.is_closed,
        "can_tell": role.can_tell_outcome(aid_request)
        and not aid_request.told_since_closed(events),
        "offers": offers[:MATCHES_SHOWN],
        "close_form": forms.get("close_form") or CloseForm(),
        "release_form": forms.get("release_form") or ReasonForm(),
        "note_form": forms.get("note_form") or TextForm(),
        "message_form": forms.get("message_form") or TextForm(),
        "attempt_form": forms.get("attempt_form") or AttemptForm(),
        "triage_form": forms.get("triage_form")
        or TriageForm(initial={"pod": aid_request.pod_id, "urgency": aid_request.urgency}),
        "reassign_form": forms.get("reassign_form") or ReassignForm(),
        "reopen_form": forms.get("reopen_form") or ReasonForm(),
        "repeat_form": forms.get("repeat_form")
        or RepeatForm(initial={"first_date": aid_request.due_date or timezone.localdate()}),
        "series": aid_request.series_root,
    }
    return render(request, "volunteers/request_detail.html", context, status=status)


@volunteer_required
def request_detail(request, reference, *, role):
    return _request_page(request, role, get_request_for(role, reference))


@never_cache
@volunteer_required
def contact(request, reference, *, role):
    """The neighbor's contact details, for those who need them: every look is recorded."""
    aid_request = get_request_for(role, reference)
    card = reveal_contact_details(role, aid_request)
    if card is None:
        messages.error(
            request,
            _(
                "Only the volunteer who took this request, the pod's point people (when the neighbor agreed) and coordinators see contact details."
            ),
        )
        return redirect("volunteers:request", reference=reference)
    return render(request, "volunteers/contact.html", {"aid_request": aid_request, "card": card})


def _back(aid_request):
    return redirect("volunteers:request", reference=aid_request.reference)


def _refuse(request, aid_request, *, typed=""):
    """Not for this person, or not any more: closed, or taken by someone else, since
    their page was drawn. What they `typed` (a message, a note, a reason) is given back
    to copy, never silently dropped."""
    if typed.strip():
        messages.error(
            request,
            _(
                "This request changed since your page opened (closed, or in someone else's hands), so nothing was saved. What you wrote, to copy: %(text)s"
            )
            % {"text": typed.strip()},
        )
    else:
        messages.error(request, _("You cannot do that on this request."))
    return _back(aid_request)


def _kept_for_someone_else(request, offered):
    messages.error(
        request,
        _(
            "This date is kept for %(name)s, who helped last time, until %(time)s. You can take it after that."
        )
        % {
            "name": offered.volunteer.name,
            "time": date_format(timezone.localtime(offered.until), "SHORT_DATETIME_FORMAT"),
        },
    )


@require_POST
@volunteer_required
def claim(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    try:
        claim_request(aid_request, volunteer=role.volunteer)
    except OfferedToSomeoneElse as offered:
        _kept_for_someone_else(request, offered)
    except AlreadyTaken as taken:
        if taken.holder is None:
            messages.error(request, _("This request is closed, so it cannot be claimed."))
        elif taken.holder == role.volunteer:
            messages.info(request, _("You already have this request."))
        else:
            messages.error(
                request,
                _("Already taken by %(name)s a moment ago. Thank you for offering!")
                % {"name": taken.holder.name},
            )
    else:
        messages.success(
            request,
            _(
                "You took this request. Thank you! If you cannot finish it within six days, release it right away."
            ),
        )
    return _back(aid_request)


@require_POST
@volunteer_required
def release(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_manage(aid_request):
        return _refuse(request, aid_request, typed=request.POST.get("reason", ""))
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, release_form=form)
    try:
        aid_request.release(by=request.user, reason=form.cleaned_data["reason"])
    except InvalidTransition:
        messages.error(request, _("This request is not claimed, so there is nothing to release."))
    else:
        messages.success(request, _("Released. The request is open for someone else."))
    return _back(aid_request)


@require_POST
@volunteer_required
def note(request, reference, *, role):
    """An internal note for volunteers; the neighbor never sees it."""
    aid_request = get_request_for(role, reference)
    form = TextForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, note_form=form)
    aid_request.record(EventKind.NOTE, by=request.user, text=form.cleaned_data["text"])
    messages.success(request, _("Note added."))
    return _back(aid_request)


@require_POST
@volunteer_required
def attempt(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_manage(aid_request) or aid_request.is_closed:
        return _refuse(request, aid_request, typed=request.POST.get("text", ""))
    form = AttemptForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, attempt_form=form)
    aid_request.record(EventKind.CONTACT_ATTEMPT, by=request.user, text=form.cleaned_data["text"])
    messages.success(request, _("Your try to reach the neighbor is logged."))
    return _back(aid_request)


@require_POST
@volunteer_required
def message(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_manage(aid_request) or aid_request.is_closed:
        return _refuse(request, aid_request, typed=request.POST.get("text", ""))
    form = TextForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, message_form=form)
    text = form.cleaned_data["text"]
    if message_neighbor(aid_request, by=request.user, text=text):
        messages.success(
            request, _("Sent. The neighbor sees it on their status page and by email.")
        )
    else:
        messages.warning(
            request,
            _(
                "Saved on their status page. This neighbor has no email: call or text them and tell them: “%(text)s”"
            )
            % {"text": text},
        )
    return _back(aid_request)


@require_POST
@volunteer_required
def close(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_manage(aid_request):
        return _refuse(request, aid_request, typed=request.POST.get("note", ""))
    form = CloseForm(request.POST, aid_request=aid_request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            emailed = close_request(
                aid_request,
                data["outcome"],
                by=request.user,
                note=data["note"],
                referral=data["referral"],
                duplicate_of=data["duplicate_of"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except InvalidTransition:
            messages.error(request, _("This request is already closed."))
            return _back(aid_request)
        else:
            if emailed:
                messages.success(request, _("Closed. We emailed the neighbor the outcome."))
            elif role.can_tell_outcome(aid_request):
                messages.warning(
                    request,
                    _(
                        "Closed. This neighbor has no email: please tell them by phone, then press “I told them”."
                    ),
                )
            elif data["outcome"] == RequestStatus.WITHDRAWN:
                messages.success(
                    request,
                    _(
                        "Closed. The neighbor does not need it anymore: there is nothing to tell them."
                    ),
                )
            else:  # a duplicate (its other request is the one to tell), or no details left
                messages.success(request, _("Closed."))
            return _back(aid_request)
    return _request_page(request, role, aid_request, status=400, close_form=form)


@require_POST
@volunteer_required
def told(request, reference, *, role):
    """Record that a phone-only neighbor was told the outcome."""
    aid_request = get_request_for(role, reference)
    if not role.can_tell_outcome(aid_request):
        return _refuse(request, aid_request)
    try:
        aid_request.tell_outcome(by=request.user)
    except InvalidTransition:  # reopened since the page was drawn
        return _refuse(request, aid_request)
    messages.success(request, _("Thank you. We noted that the neighbor knows."))
    return _back(aid_request)


@require_POST
@volunteer_required
def triage(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_triage(aid_request):
        return _refuse(request, aid_request)
    form = TriageForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, triage_form=form)
    try:
        aid_request.triage(
            by=request.user, pod=form.cleaned_data["pod"], urgency=form.cleaned_data["urgency"]
        )
    except InvalidTransition:
        messages.error(request, _("Only a new request can be triaged."))
    else:
        messages.success(request, _("Triaged: the request is open for volunteers."))
    return _back(aid_request)


@require_POST
@volunteer_required
def reassign(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_triage(aid_request) or aid_request.is_closed:
        return _refuse(request, aid_request)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, reassign_form=form)
    try:
        reassign_claim(aid_request, to=form.cleaned_data["volunteer"], by=request.user)
    except InvalidTransition:
        messages.error(request, _("This request changed in the meantime. Please look again."))
    else:
        messages.success(
            request, _("Reassigned to %(name)s.") % {"name": form.cleaned_data["volunteer"].name}
        )
    return _back(aid_request)


@require_POST
@volunteer_required
def reopen(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_triage(aid_request):
        return _refuse(request, aid_request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, reopen_form=form)
    try:
        aid_request.reopen(by=request.user, reason=form.cleaned_data["reason"])
    except InvalidTransition:
        messages.error(request, _("Only a closed request can be reopened."))
    else:
        messages.success(request, _("Reopened. The request is open again."))
    return _back(aid_request)


# --- Taking a request on someone's behalf ----------------------------------------------


@volunteer_required
def take_request(request, *, role):
    """A neighbor called, wrote on WhatsApp, left a letter: enter it for them."""
    form = TakeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = create_requests(
            needs=data["needs"],
            contact=form.contact_details(),
            details=data["details"],
            urgency=data["urgency"],
            channel=data["channel"],
            entered_by=request.user,
        )
        return redirect("volunteers:taken", token=created[0].status_token)
    return render(request, "volunteers/take_request.html", {"form": form})


@never_cache
@volunteer_required
def taken(request, token, *, role):
    """What to read out to the neighbor: the references and their status link."""
    requests = list(
        Request.objects.filter(status_token=token, entered_by=request.user).select_related(
            "category"
        )
    )
    if not requests:
        raise Http404
    # The link the neighbor's email holds: the network's address, in their language.
    with language(requests[0].language):
        status_link = status_url(token)
    return render(
        request, "volunteers/taken.html", {"requests": requests, "status_link": status_link}
    )


# --- Offers and matching ---------------------------------------------------------------


@volunteer_required
def offer_detail(request, reference, *, role):
    offer = get_object_or_404(Offer.objects.select_related("category", "pod"), reference=reference)
    candidates = list(
        Request.objects.filter(status__in=[RequestStatus.NEW, RequestStatus.OPEN])
        .filter(Q(category=offer.category_id) | Q(pod=offer.pod_id))
        .select_related("category", "pod")
        .order_by("urgency", "created_at")[:50]
    )
    candidates.sort(
        key=lambda r: (
            r.category_id != offer.category_id,
            r.language not in offer.languages,
            r.pod_id != offer.pod_id,
        )
    )
    return render(
        request,
        "volunteers/offer_detail.html",
        {"offer": offer, "candidates": candidates[:MATCHES_SHOWN]},
    )


@require_POST
@volunteer_required
def connect(request, reference, offer_reference, *, role):
    aid_request = get_request_for(role, reference)
    offer = get_object_or_404(Offer, reference=offer_reference)
    try:
        connect_offer(offer, aid_request, volunteer=role.volunteer)
    except AlreadyTaken as taken:
        if taken.holder is None:
            messages.error(request, _("This request is closed, so it cannot be claimed."))
        else:
            messages.error(
                request,
                _("Already taken by %(name)s a moment ago. Thank you for offering!")
                % {"name": taken.holder.name},
            )
    except OfferedToSomeoneElse as offered:
        _kept_for_someone_else(request, offered)
    except InvalidTransition:
        messages.error(request, _("This offer is no longer available."))
    else:
        messages.success(
            request, _("Connected. The request is yours now: get in touch with the neighbor.")
        )
    return _back(aid_request)


# --- Coordinators: flyers and reports --------------------------------------------------

FLYER_LANGUAGES = 2


@staff_page("volunteers.view_pod")
def flyers(request):
    """Printable door flyers for the chosen pods, in one or two languages side by side."""
    known = dict(settings.LANGUAGES)
    codes = [code for code in request.GET.getlist("lang") if code in known][:FLYER_LANGUAGES]
    codes = codes or [get_language()]
    # Only what a slug can be: PostgreSQL refuses a NUL byte in text, so `?pod=%00` would
    # otherwise reach the database and come back as a server error.
    slugs = [slug for slug in request.GET.getlist("pod") if slug_re.fullmatch(slug)]
    pods = Pod.objects.filter(slug__in=slugs).prefetch_related("point_people")
    return render(
        request,
        "volunteers/flyers.html",
        {
            "flyers": [flyer_for(pod, codes) for pod in pods],
            "needs": list(Category.objects.for_needs()),
            "languages": settings.LANGUAGES,
            "chosen_languages": codes,
            "pods": Pod.objects.active(),
            "chosen_pods": slugs,
            "short_address": short_address(),
        },
    )


REPORT_PERIODS = {4, 12, 26, 52}


@staff_page("requests_app.view_request")
def reports(request):
    """How the network is doing. ?csv=<table> downloads one table's numbers."""
    try:
        weeks = int(request.GET.get("weeks", 12))
    except ValueError:
        weeks = 12
    weeks = weeks if weeks in REPORT_PERIODS else 12
    report = build_report(weeks=weeks, stale_days=settings.CLAIM_STALE_DAYS)
    table_name = request.GET.get("csv")
    if table_name in TABLES:
        table = report[table_name]
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{table.slug}-{weeks}-weeks.csv"'
        writer = csv.writer(response)
        writer.writerow([str(column) for column in table.columns])
        writer.writerows([safe_cell(value) for value in row] for row in table.rows)
        return response
    return render(
        request,
        "volunteers/reports.html",
        {
            "report": report,
            "tables": [report[name] for name in TABLES],
            "periods": sorted(REPORT_PERIODS),
        },
    )


# --- Repeating help --------------------------------------------------------------------

ROTA_DATES = 8


@require_POST
@volunteer_required
def repeat(request, reference, *, role):
    aid_request = get_request_for(role, reference)
    if not role.can_manage(aid_request):
        return _refuse(request, aid_request)
    if request.POST.get("stop"):
        aid_request.stop_repeating(by=request.user)
        messages.success(request, _("It will not repeat anymore. Open dates stay as they are."))
        return _back(aid_request)
    form = RepeatForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, repeat_form=form)
    try:
        aid_request.set_repeat(
            form.cleaned_data["repeat"],
            until=form.cleaned_data["until"],
            first_date=form.cleaned_data["first_date"],
            by=request.user,
        )
    except InvalidTransition:  # closed since the page was drawn
        return _refuse(request, aid_request)
    messages.success(request, _("Saved. When this one is done, the next date is created."))
    return _back(aid_request)


@volunteer_required
def rota(request, reference, *, role):
    """The coming dates of a repeating request and who has taken each."""
    aid_request = get_request_for(role, reference)
    series = aid_request.series_root
    if not series.repeat:
        raise Http404
    if request.method == "POST":
        return _rota_change(request, role, series)
    occurrences = {
        occurrence.due_date: occurrence
        for occurrence in Request.objects.filter(Q(pk=series.pk) | Q(series=series))
        .exclude(due_date=None)
        .with_active_claim()
    }
    coming = series.coming_dates(ROTA_DATES)
    today = timezone.localdate()
    signups = {signup.date: signup for signup in series.rota.select_related("volunteer")}
    rows = [
        {"date": day, "occurrence": occurrences.get(day), "signup": signups.get(day)}
        for day in sorted({day for day in occurrences if day >= today} | set(coming))
    ]
    return render(
        request,
        "volunteers/rota.html",
        {"series": series, "aid_request": aid_request, "rows": rows, "me": role.volunteer},
    )


def _rota_change(request, role, series):
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        raise Http404 from None
    if request.POST.get("action") == "leave":
        RotaSignup.objects.filter(series=series, date=day, volunteer=role.volunteer).delete()
        messages.success(request, _("You are no longer down for that date."))
    else:
        if day not in series.coming_dates(ROTA_DATES):
            raise Http404
        try:
            with transaction.atomic():
                RotaSignup.objects.create(series=series, date=day, volunteer=role.volunteer)
        except IntegrityError:
            messages.error(request, _("Someone already took that date. Thank you!"))
        else:
            messages.success(request, _("You are down for that date. Thank you!"))
    return redirect("volunteers:rota", reference=series.reference)


@require_POST
@volunteer_required
def translate(request, reference, *, role):
    """A volunteer who reads the language adds a translation next to the original."""
    aid_request = get_request_for(role, reference)
    form = TranslationForm(request.POST)
    if not form.is_valid():
        return _request_page(request, role, aid_request, status=400, translation_form=form)
    message = None
    if form.cleaned_data["event"]:
        message = get_object_or_404(
            aid_request.events.conversation(), pk=form.cleaned_data["event"]
        )
    Translation.objects.create(
        request=aid_request,
        event=message,
        language=form.cleaned_data["language"],
        text=form.cleaned_data["text"],
        translator=request.user,
    )
    messages.success(request, _("Thank you! Your translation is next to the original."))
    return _back(aid_request)
