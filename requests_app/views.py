from django.conf import settings
from django.contrib import messages
from django.core.validators import slug_re
from django.db import OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from requests_app.antispam import allow_neighbor_message, allow_public_post, rate_limited
from requests_app.forms import (
    PUBLIC_CHOICES,
    AskForm,
    MessageForm,
    NeedsForm,
    OfferForm,
    OffersForm,
)
from requests_app.keyset import Cursor, key_of, page_from, paginate
from requests_app.localized import translated_name
from requests_app.models import (
    Category,
    Event,
    EventKind,
    InvalidTransition,
    Offer,
    OfferStatus,
    Request,
    Resource,
)
from requests_app.services import (
    FullFormNeeded,
    ask_again,
    create_offers,
    create_requests,
    erase_what_a_link_gave,
    offer_again,
    record_of_link,
)
from waltham_aid.kept_pages import kept_in_memory


@kept_in_memory()
def home(request):
    return render(request, "requests_app/home.html")


@kept_in_memory()
def privacy(request):
    return render(
        request,
        "requests_app/privacy.html",
        {"days": settings.RETENTION_DAYS, "idle_minutes": settings.SESSION_IDLE_SECONDS // 60},
    )


@kept_in_memory(drawn_from=PUBLIC_CHOICES)
def ask(request):
    """I need something: one form, one request per need, never a lost word."""
    initial = {}
    if (pod_slug := request.GET.get("pod")) and slug_re.fullmatch(pod_slug):
        # Opened from a pod's door flyer: that pod is preselected. Only what a slug can be
        # reaches the database (PostgreSQL refuses a NUL byte: `?pod=%00` was a 500).
        initial["pod"] = AskForm.base_fields["pod"].queryset.filter(slug=pod_slug).first()
    form = AskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if not allow_public_post(request, "ask"):
            return rate_limited(request, "requests_app/ask.html", form)
        data = form.cleaned_data
        created = create_requests(
            needs=data["needs"],
            contact=form.contact_details(),
            details=data["details"],
            urgency=data["urgency"],
        )
        url = reverse("requests_app:asked", args=[created[0].status_token])
        # Said on the next page only once we know: sent, or not sent (keep the link).
        if created.emailed is None:
            return redirect(url)
        return redirect(f"{url}?emailed={int(created.emailed)}")
    return render(request, "requests_app/ask.html", {"form": form})


MESSAGES_PAGE_SIZE = 20


def _requests_for_token(token):
    requests = list(
        Request.objects.for_status_page(token, messages=MESSAGES_PAGE_SIZE).order_by("pk")
    )
    if not requests:
        raise Http404
    return requests


def _private(response):
    """A page reached by a secret link: never indexed, never cached on the way."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def asked(request, token):
    requests = _requests_for_token(token)
    return _private(
        render(
            request,
            "requests_app/asked.html",
            {
                "requests": requests,
                "emailed": request.GET.get("emailed"),
                "usual_hours": settings.USUAL_RESPONSE_HOURS,
            },
        )
    )


def _conversations(requests, cursor_text):
    """Each request's messages, a page at a time, newest page first and shown oldest to
    newest. The first page comes from the prefetch; a cursor (bound to its request) reads
    older or newer messages of that one request."""
    for aid_request in requests:
        list_name = f"conversation:{aid_request.reference}"
        keys = ("created_at", "pk")
        if Cursor.decode(cursor_text, list_name, length=len(keys)):
            page = paginate(
                Event.objects.conversation().filter(request=aid_request),
                cursor_text,
                keys=keys,
                size=MESSAGES_PAGE_SIZE,
                list_name=list_name,
                descending=True,
            )
        else:
            page = page_from(
                aid_request.newest_messages,
                None,
                size=MESSAGES_PAGE_SIZE,
                key=lambda event, keys=keys: key_of(event, keys),
                list_name=list_name,
            )
        aid_request.conversation = page.rows[::-1]
        aid_request.older_messages = page.next_cursor
        aid_request.newer_messages = page.previous_cursor


def _status_page(request, token, *, failed_form=None, failed_reference=None, status=None):
    requests = _requests_for_token(token)
    _conversations(requests, request.GET.get("messages"))
    for aid_request in requests:
        # Each open request's own form, with ids of its own: a label finds its own box.
        if aid_request.reference == failed_reference:
            aid_request.message_form = failed_form
        elif not aid_request.is_closed:
            aid_request.message_form = _message_form(aid_request.reference)
    context = {
        "token": token,
        "requests": requests,
        "contact_erased": requests[-1].neighbor.contact_erased_at is not None,
    }
    return _private(
        render(
            request,
            "requests_app/status.html",
            context,
            status=status or (400 if failed_form else 200),
        )
    )


def _message_form(reference, data=None):
    return MessageForm(data, auto_id=f"id_{reference}_%s")


def status(request, token):
    """The neighbor's private page: each request of the submission, in plain words."""
    return _status_page(request, token)


def ask_something_else(request, token, *, draft=None):
    """Ask for something else from the status page: what is needed and how soon, nothing
    more (ask_again). `draft`: words to start the details with, from a message written on
    a request closed meanwhile (send_message); the form is then drawn, not sent."""

    def save(form):
        data = form.cleaned_data
        return ask_again(
            token, needs=data["needs"], details=data["details"], urgency=data["urgency"]
        )

    def done(created):
        messages.success(
            request,
            ngettext(
                "We got your request. Its reference is %(references)s. You can follow it below.",
                "We got your requests. Their references are %(references)s. You can follow them below.",
                len(created),
            )
            % {"references": _references(created)},
        )
        url = reverse("requests_app:status", args=[token])
        return redirect(f"{url}#{created[0].reference}")

    return _something_else(
        request,
        token,
        rows=Request.objects.filter(status_token=token),
        form_class=NeedsForm,
        template="requests_app/ask_something_else.html",
        full_form=("requests_app:ask", AskForm, "requests_app/ask.html"),
        erased=_(
            "Your contact details were deleted, so we would have no way to reach you. To ask again, please leave a phone number or an email here."
        ),
        save=save,
        done=done,
        data=None if draft is not None else _posted(request),
        initial={"details": draft} if draft is not None else None,
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


def _something_else(
    request, token, *, rows, form_class, template, full_form, erased, save, done, data, initial=None
):
    """Asking or offering something else from a private link: the form without contact
    details, saved by `save(form)` onto the link's one record (ask_again, offer_again)
    and answered by `done(created)`. A link that is nobody's is a 404; one whose record
    cannot take more goes to the `full_form` (url name, form class, template), saying
    `erased` when its details were deleted, with what was typed. Under the same limit as
    the full form; never a 500 on a lock conflict: the form comes back with everything
    typed. `data`: what was sent (None: the form is drawn); `initial`: what it starts
    with."""
    form = form_class(data, initial=initial)
    full_form_name, full_form_class, full_template = full_form
    try:
        record_of_link(rows)
        if data is not None and form.is_valid():
            # The full form's limit: its allow_public_post key is its name ("ask", "offer").
            if not allow_public_post(request, full_form_name.split(":")[1]):
                return _private(rate_limited(request, template, form, token=token))
            try:
                created = _once_more_on_a_lock_conflict(lambda: save(form))
            except OperationalError:
                messages.error(request, _("We could not save this just now. Please send it again."))
                context = {"form": form, "token": token}
                return _private(render(request, template, context, status=503))
            return done(created)
    except rows.model.DoesNotExist:
        raise Http404 from None
    except FullFormNeeded as needed:
        messages.info(
            request,
            erased
            if needed.erased
            else _("To send this, please give your contact details once more below."),
        )
        if data is None and not initial:
            return redirect(full_form_name)
        # Never a lost word: what they wrote (or the draft they bring) comes along, and
        # the full form asks the rest.
        typed = {name: form[name].value() for name in form.fields if name != "homepage"}
        context = {"form": full_form_class(initial=typed), "action": reverse(full_form_name)}
        return _private(render(request, full_template, context, status=409))
    return _private(render(request, template, {"form": form, "token": token}))


def _once_more_on_a_lock_conflict(write):
    """A write that met a lock a coordinator's change held too long (a join, a move)
    is tried once more; its transaction was rolled back, so nothing was half done."""
    try:
        return write()
    except OperationalError:
        return write()


def _references(rows):
    return pgettext("between references in a sentence", ", ").join(row.reference for row in rows)


def _request_for_token(token, reference):
    return get_object_or_404(
        Request.objects.select_related("neighbor", "category"),
        status_token=token,
        reference=reference,
    )


def send_message(request, token, reference):
    """A message from the neighbor to whoever is helping. The page it comes back on
    when something is wrong has this address: its language and page links ask for it
    by GET, and get the status page."""
    aid_request = _request_for_token(token, reference)
    if request.method != "POST":
        url = reverse("requests_app:status", args=[token])
        query = request.META.get("QUERY_STRING")
        return redirect(f"{url}?{query}" if query else url)
    form = _message_form(reference, request.POST)
    if not form.is_valid():
        return _status_page(request, token, failed_form=form, failed_reference=reference)
    if aid_request.is_closed:
        # Closed while their page was open: nobody would read it there. Their words
        # start a new request instead, if they still need help.
        messages.info(
            request,
            _(
                "This request was closed meanwhile, so your message was not sent. If you still need help, send your words from here as a new request."
            ),
        )
        return ask_something_else(request, token, draft=form.cleaned_data["text"])
    if not allow_neighbor_message(token):
        messages.error(
            request,
            _(
                "Many messages were sent from this page in a short time. Please wait a few minutes and send it again, or call us."
            ),
        )
        return _status_page(
            request, token, failed_form=form, failed_reference=reference, status=429
        )
    aid_request.record(
        EventKind.MESSAGE_FROM_NEIGHBOR, by_neighbor=True, text=form.cleaned_data["text"]
    )
    messages.success(request, _("Your message was sent. Whoever is helping you will see it."))
    return redirect("requests_app:status", token=token)


def withdraw(request, token, reference):
    """I don't need this anymore: asks once to be sure, then closes the request."""
    aid_request = _request_for_token(token, reference)
    if request.method == "POST":
        try:
            aid_request.withdraw()
        except InvalidTransition:
            messages.info(request, _("This request was already closed, so nothing changed."))
        else:
            messages.success(
                request,
                _("Done. We will not work on this request anymore. You can ask again any time."),
            )
        return redirect("requests_app:status", token=token)
    return _private(
        render(request, "requests_app/withdraw.html", {"aid_request": aid_request, "token": token})
    )


def _erase_contact_page(request, *, back, done, **link):
    """Delete my contact details, from a private link (`link`: its token): the page says
    what it means, the POST does it (erase_what_a_link_gave) and goes `back`."""
    if request.method == "POST":
        _once_more_on_a_lock_conflict(lambda: erase_what_a_link_gave(**link))
        messages.success(request, done)
        return redirect(back)
    context = {"back": back, "offers": "offer_token" in link}
    return _private(render(request, "requests_app/erase_contact.html", context))


def erase_contact(request, token):
    """Delete my contact details, from the status page: the requests stay, anonymous."""
    _requests_for_token(token)  # a 404 for a link that is nobody's
    return _erase_contact_page(
        request,
        status_token=token,
        back=reverse("requests_app:status", args=[token]),
        done=_(
            "Your contact details are deleted. Your requests stay, without your name or how to reach you."
        ),
    )


@kept_in_memory(drawn_from=PUBLIC_CHOICES)
def offer(request):
    form = OfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not allow_public_post(request, "offer"):
            return rate_limited(request, "requests_app/offer.html", form)
        created = create_offers(
            offers=form.cleaned_data["offers"],
            contact=form.contact_details(),
            **form.offer_details(),
        )
        return redirect("requests_app:offer_manage", token=created[0].token)
    return render(request, "requests_app/offer.html", {"form": form})


OFFER_ACTIONS = {
    "pause": OfferStatus.PAUSED,
    "resume": OfferStatus.AVAILABLE,
}


def _offers_for_token(token):
    offers = list(
        Offer.objects.filter(token=token).select_related("category", "neighbor").order_by("pk")
    )
    if not offers:
        raise Http404
    return offers


def _move_offer(request, offer, status):
    """Pause, take up again or end an offer from its private page, and say how it went."""
    try:
        offer.move_to(status)
    except InvalidTransition:
        messages.info(request, _("That offer has already ended, so nothing changed."))
    else:
        messages.success(request, _("Saved. Thank you for letting us know."))
    return redirect("requests_app:offer_manage", token=offer.token)


def offer_manage(request, token):
    """The private link to an offer: see it, pause it or take it up again (ending one
    asks first: end_offer)."""
    offers = _offers_for_token(token)
    if request.method == "POST":
        target = OFFER_ACTIONS.get(request.POST.get("action"))
        chosen = next((o for o in offers if o.reference == request.POST.get("reference")), None)
        if target is None or chosen is None:
            raise Http404
        return _move_offer(request, chosen, target)
    context = {
        "offers": offers,
        "token": token,
        # None for a volunteer's own offer: no neighbor's details to delete.
        "neighbor": offers[-1].neighbor,
    }
    return _private(render(request, "requests_app/offer_manage.html", context))


def offer_something_else(request, token):
    """Offer something else from an offer's private page: what, when and where, nothing
    more (offer_again)."""

    def save(form):
        return offer_again(token, offers=form.cleaned_data["offers"], **form.offer_details())

    def done(created):
        messages.success(
            request,
            ngettext(
                "Thank you. Your new offer is %(references)s, below.",
                "Thank you. Your new offers are %(references)s, below.",
                len(created),
            )
            % {"references": _references(created)},
        )
        return redirect("requests_app:offer_manage", token=token)

    return _something_else(
        request,
        token,
        rows=Offer.objects.filter(token=token),
        form_class=OffersForm,
        template="requests_app/offer_something_else.html",
        full_form=("requests_app:offer", OfferForm, "requests_app/offer.html"),
        erased=_(
            "Your contact details were deleted, so we would have no way to reach you. To offer again, please leave a phone number or an email here."
        ),
        save=save,
        done=done,
        data=_posted(request),
    )


def end_offer(request, token, reference):
    """I can't give this anymore: asks once to be sure (it cannot be taken back), then
    ends the offer."""
    offer = get_object_or_404(
        Offer.objects.select_related("category"), token=token, reference=reference
    )
    if request.method == "POST":
        return _move_offer(request, offer, OfferStatus.FINISHED)
    return _private(
        render(request, "requests_app/end_offer.html", {"offer": offer, "token": token})
    )


def erase_offer_contact(request, token):
    """Delete my contact details, from an offer's private page: the offers end too, since
    nobody could reach their giver any more. A volunteer's own offer link has no
    neighbor's details to delete: a 404, never 'deleted' for nothing."""
    if not any(offer.neighbor_id for offer in _offers_for_token(token)):
        raise Http404
    return _erase_contact_page(
        request,
        offer_token=token,
        back=reverse("requests_app:offer_manage", args=[token]),
        done=_(
            "Your contact details are deleted and your offers have ended. Thank you for offering."
        ),
    )


RESOURCES_PAGE_SIZE = 20


def resources(request):
    """The public directory of community resources, filterable by need, by name in the
    reader's language (the English name where there is no translation yet)."""
    categories = list(Category.objects.active())
    chosen = next((c for c in categories if c.slug == request.GET.get("need")), None)
    listing = (
        Resource.objects.filter(active=True)
        .prefetch_related("categories")
        .annotate(shown_name=translated_name())
    )
    if chosen:
        listing = listing.filter(categories=chosen)
    page = paginate(
        listing,
        request.GET.get("cursor"),
        keys=("shown_name", "pk"),
        size=RESOURCES_PAGE_SIZE,
        list_name="resources",
    )
    return render(
        request,
        "requests_app/resources.html",
        {
            "page": page,
            "categories": categories,
            "chosen": chosen,
            "query": urlencode({"need": chosen.slug}) if chosen else "",
        },
    )


def csrf_failure(request, reason=""):
    return TemplateResponse(request, "403_csrf.html", status=403)
