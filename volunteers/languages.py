"""Who speaks what: which requests need an interpreter, and where."""

from collections import defaultdict

from django.db.models import Q

from volunteers.models import Volunteer

NETWORK = None  # the key for "any approved volunteer anywhere"


def spoken_languages():
    """Pod id -> the languages its approved volunteers speak; NETWORK -> all of them.
    One query, whatever the number of pods."""
    spoken = defaultdict(set)
    for pod_id, languages in Volunteer.objects.approved().values_list("pods", "languages"):
        spoken[NETWORK].update(languages or ())
        if pod_id is not None:
            spoken[pod_id].update(languages or ())
    return spoken


def needs_interpreter(aid_request, spoken):
    """Nobody in the request's pod (or, with no pod, in the network) speaks its language."""
    key = aid_request.pod_id if aid_request.pod_id is not None else NETWORK
    return aid_request.language not in spoken.get(key, ())


def needs_interpreter_in(languages, spoken):
    """A filter for requests in one of `languages` that nobody where they are speaks."""
    condition = Q(pk__in=[])
    for code in languages:
        covering = [pod for pod, codes in spoken.items() if pod is not NETWORK and code in codes]
        in_language = Q(language=code) & ~Q(pod__in=covering)
        if code in spoken.get(NETWORK, ()):
            in_language &= Q(pod__isnull=False)
        condition |= in_language
    return condition
