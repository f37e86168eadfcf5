"""Meal trains, weekly groceries, check-in calls: help that repeats."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    EventKind,
    OfferedToSomeoneElse,
    Repeat,
    Request,
    RequestStatus,
    RotaSignup,
    next_date,
)
from tests.factories import make_offer, make_request, make_volunteer, sign_in
from volunteers.services import deactivate_volunteer, give_back_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def ben(pod):
    return make_volunteer("Ben", pods=[pod])


def weekly_groceries(pod, first=date(2027, 1, 5), **rule):
    aid_request = make_request(pod=pod)
    aid_request.set_repeat(rule.pop("repeat", Repeat.WEEKLY), first_date=first, by=None, **rule)
    aid_request.triage(by=None, pod=pod, urgency=2)
    return aid_request


def do(aid_request, volunteer):
    aid_request.claim(volunteer)
    aid_request.close(RequestStatus.FULFILLED, by=volunteer.user)
    return Request.objects.filter(series=aid_request.series_root).order_by("-due_date").first()


def test_closing_one_week_creates_the_next_offered_first_to_the_same_volunteer(pod, ben):
    first = weekly_groceries(pod)
    second = do(first, ben)

    assert second.due_date == date(2027, 1, 12)
    assert second.status == RequestStatus.OPEN
    assert second.neighbor == first.neighbor
    assert second.status_token == first.status_token
    assert second.offered_to == ben
    with pytest.raises(OfferedToSomeoneElse):
        second.claim(make_volunteer("Chen", pods=[pod]))
    second.claim(ben)
    assert second.active_claim.volunteer == ben


def test_after_the_first_offer_expires_anyone_in_the_pod_can_take_it(pod, ben):
    second = do(weekly_groceries(pod), ben)
    Request.objects.filter(pk=second.pk).update(offered_until=second.created_at)
    second.refresh_from_db()
    chen = make_volunteer("Chen", pods=[pod])
    second.claim(chen)
    assert second.active_claim.volunteer == chen


def test_every_two_weeks(pod, ben):
    second = do(weekly_groceries(pod, repeat=Repeat.BIWEEKLY), ben)
    assert second.due_date == date(2027, 1, 19)


def test_monthly_on_the_31st_keeps_its_day_where_the_month_has_it():
    days = [date(2027, 1, 31)]
    for _ in range(4):
        days.append(next_date(Repeat.MONTHLY, days[-1], anchor_day=31))
    assert days == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert next_date(Repeat.MONTHLY, date(2027, 12, 15), anchor_day=15) == date(2028, 1, 15)
    assert next_date(Repeat.MONTHLY, date(2028, 1, 31), anchor_day=31) == date(2028, 2, 29)


def test_a_monthly_series_through_a_short_month(pod, ben):
    first = weekly_groceries(pod, first=date(2027, 1, 31), repeat=Repeat.MONTHLY)
    second = do(first, ben)
    third = do(second, ben)
    assert (second.due_date, third.due_date) == (date(2027, 2, 28), date(2027, 3, 31))


def test_a_series_ends_on_its_stop_date(pod, ben):
    first = weekly_groceries(pod, until=date(2027, 1, 19))
    second = do(first, ben)
    third = do(second, ben)
    assert third.due_date == date(2027, 1, 19)
    assert do(third, ben) == third  # no 26th
    assert Request.objects.filter(series=first).count() == 2


def test_a_stopped_series_creates_nothing_more(pod, ben):
    first = weekly_groceries(pod)
    first.stop_repeating(by=None)
    first.claim(ben)
    first.close(RequestStatus.FULFILLED, by=ben.user)
    assert not Request.objects.filter(series=first).exists()


def test_closing_twice_never_makes_two_next_dates(pod, ben):
    first = weekly_groceries(pod)
    do(first, ben)
    first.reopen(by=None)
    first.claim(ben)
    first.close(RequestStatus.FULFILLED, by=ben.user)
    assert Request.objects.filter(series=first, due_date=date(2027, 1, 12)).count() == 1


def test_a_volunteer_signs_up_on_the_rota_and_gets_that_date(client, pod, ben):
    first = weekly_groceries(pod)
    chen = make_volunteer("Chen", pods=[pod])
    sign_in(client, chen.user)
    rota_url = reverse("volunteers:rota", args=[first.reference])
    page = client.get(rota_url).content.decode()
    assert "Nobody yet" in page

    client.post(rota_url, {"date": "2027-01-12", "action": "take"})
    assert RotaSignup.objects.get().volunteer == chen
    sign_in(client, ben.user)
    client.post(rota_url, {"date": "2027-01-12", "action": "take"})
    assert RotaSignup.objects.get().volunteer == chen

    second = do(first, ben)
    assert second.due_date == date(2027, 1, 12)
    assert second.active_claim.volunteer == chen
    assert "Chen" in client.get(rota_url).content.decode()


def test_the_request_page_sets_a_request_to_repeat(client, pod, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    sign_in(client, ben.user)
    soon = timezone.localdate() + timedelta(days=60)
    client.post(
        reverse("volunteers:repeat", args=[aid_request.reference]),
        {"repeat": "weekly", "first_date": soon.isoformat(), "until": ""},
    )
    aid_request.refresh_from_db()
    assert (aid_request.repeat, aid_request.due_date) == ("weekly", soon)
    bad = client.post(
        reverse("volunteers:repeat", args=[aid_request.reference]),
        {"repeat": "weekly", "first_date": soon.isoformat(), "until": "2020-01-01"},
    )
    assert bad.status_code == 400


def test_ben_moves_the_date_of_this_one_and_it_is_saved(client, pod, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    sign_in(client, ben.user)
    repeat_url = reverse("volunteers:repeat", args=[aid_request.reference])
    first, moved = (timezone.localdate() + timedelta(days=days) for days in (3, 5))
    client.post(repeat_url, {"repeat": "weekly", "first_date": first.isoformat()})

    client.post(repeat_url, {"repeat": "weekly", "first_date": moved.isoformat()})

    aid_request.refresh_from_db()
    assert aid_request.due_date == moved
    aid_request.close(RequestStatus.FULFILLED, by=ben.user)
    assert aid_request.occurrences.get().due_date == moved + timedelta(weeks=1)


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01", "2020-01-01"])
def test_a_date_years_away_is_refused_and_the_request_can_still_be_closed(client, pod, ben, far):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    sign_in(client, ben.user)

    response = client.post(
        reverse("volunteers:repeat", args=[aid_request.reference]),
        {"repeat": "monthly", "first_date": far},
    )

    assert response.status_code == 400
    assert "Choose a date within a year of today." in response.content.decode()
    aid_request.refresh_from_db()
    assert aid_request.repeat == ""
    aid_request.close(RequestStatus.FULFILLED, by=ben.user)
    assert aid_request.status == RequestStatus.FULFILLED


def test_a_series_at_the_end_of_the_calendar_stops_there(pod, ben):
    last = weekly_groceries(pod, first=date(9999, 12, 30))
    assert last.coming_dates(5) == []
    assert do(last, ben) is None  # closed, and nothing after it
    assert last.status == RequestStatus.FULFILLED


def test_claiming_a_date_kept_for_someone_else_says_who_and_until_when(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    chen = make_volunteer("Chen", pods=[pod])
    sign_in(client, chen.user)
    response = client.post(reverse("volunteers:claim", args=[second.reference]), follow=True)
    assert "kept for Ben" in response.content.decode()
    second.refresh_from_db()
    assert second.status == RequestStatus.OPEN


def test_the_rota_only_takes_the_series_coming_dates(client, pod, ben):
    first = weekly_groceries(pod)
    sign_in(client, ben.user)
    rota_url = reverse("volunteers:rota", args=[first.reference])
    assert client.post(rota_url, {"date": "2027-01-13", "action": "take"}).status_code == 404
    assert client.post(rota_url, {"date": "2020-01-12", "action": "take"}).status_code == 404
    assert client.post(rota_url, {"date": "not a date", "action": "take"}).status_code == 404
    assert not RotaSignup.objects.exists()


def test_a_late_close_creates_the_next_date_from_today_not_in_the_past(pod, ben):
    from django.utils import timezone

    long_ago = timezone.localdate() - timedelta(days=30)
    first = weekly_groceries(pod, first=long_ago)
    second = do(first, ben)
    assert second.due_date >= timezone.localdate()
    assert (second.due_date - long_ago).days % 7 == 0


def test_one_withdrawn_date_does_not_end_the_series(pod):
    first = weekly_groceries(pod)
    first.withdraw()
    assert Request.objects.filter(series=first, due_date=date(2027, 1, 12)).exists()


def test_a_point_person_gives_a_kept_date_to_someone_else(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    paula = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    pod.point_people.add(paula)
    chen = make_volunteer("Chen", pods=[pod])
    sign_in(client, paula.user)

    response = client.post(
        reverse("volunteers:reassign", args=[second.reference]), {"volunteer": chen.pk}, follow=True
    )

    second.refresh_from_db()
    assert second.active_claim.volunteer == chen
    assert "changed in the meantime" not in response.content.decode()


def test_connecting_an_offer_to_a_kept_date_says_who_it_is_kept_for(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    chen = make_volunteer("Chen", pods=[pod])
    offer = make_offer(category=second.category, pod=pod)
    sign_in(client, chen.user)

    response = client.post(
        reverse("volunteers:connect", args=[second.reference, offer.reference]), follow=True
    )

    assert "kept for Ben" in response.content.decode()
    second.refresh_from_db()
    offer.refresh_from_db()
    assert (second.status, second.matched_offer, offer.status) == (
        RequestStatus.OPEN,
        None,
        "available",
    )


def test_an_old_repeat_form_cannot_set_a_closed_request_to_repeat(client, pod, ben):
    aid_request = make_request(pod=pod)
    aid_request.claim(ben)
    aid_request.close(RequestStatus.FULFILLED, by=ben.user)
    sign_in(client, ben.user)

    response = client.post(
        reverse("volunteers:repeat", args=[aid_request.reference]),
        {"repeat": "weekly", "first_date": "2027-02-01", "until": ""},
        follow=True,
    )

    aid_request.refresh_from_db()
    assert aid_request.repeat == ""
    assert "You cannot do that on this request." in response.content.decode()


def test_a_point_person_takes_a_kept_date_themselves(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    paula = make_volunteer("Paula", pods=[pod], groups=["Volunteer", "Point person"])
    pod.point_people.add(paula)
    sign_in(client, paula.user)
    client.post(reverse("volunteers:reassign", args=[second.reference]), {"volunteer": paula.pk})
    second.refresh_from_db()
    assert second.active_claim.volunteer == paula


def test_ben_gives_back_his_kept_date_and_it_is_open_to_the_pod_at_once(pod, ben):
    second = do(weekly_groceries(pod), ben)
    second.claim(ben)
    second.release(by=ben.user, reason="Away this week.")

    second.refresh_from_db()
    assert second.offered_to is None
    assert not second.kept_first
    chen = make_volunteer("Chen", pods=[pod])
    second.claim(chen)
    assert second.active_claim.volunteer == chen


def test_a_volunteer_who_falls_ill_gives_back_the_dates_kept_for_them_too(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    other = make_request(pod=pod)
    other.claim(ben)
    sign_in(client, ben.user)

    response = client.post(
        reverse("volunteers:give_back"), {"reason": "In bed with flu."}, follow=True
    )

    assert "2 requests went back to their pods" in response.content.decode()
    second.refresh_from_db()
    assert not second.kept_first
    assert second.status == RequestStatus.OPEN
    assert second.events.filter(kind=EventKind.RELEASED, text="In bed with flu.").exists()
    second.claim(make_volunteer("Chen", pods=[pod]))


def test_a_date_someone_else_has_taken_is_left_alone_when_ben_gives_back(pod, ben):
    second = do(weekly_groceries(pod), ben)
    chen = make_volunteer("Chen", pods=[pod])
    second.claim(chen, by=None, assigned=True)

    assert give_back_everything(ben, by=ben.user, reason="Away.") == []
    second.refresh_from_db()
    assert second.active_claim.volunteer == chen
    assert not second.events.filter(kind=EventKind.RELEASED).exists()


def test_a_deactivated_volunteers_rota_dates_are_free_and_never_given_to_them(pod, ben):
    first = weekly_groceries(pod)
    chen = make_volunteer("Chen", pods=[pod])
    RotaSignup.objects.create(series=first, date=date(2027, 1, 12), volunteer=chen)
    past = RotaSignup.objects.create(series=first, date=date(2020, 1, 7), volunteer=chen)

    deactivate_volunteer(chen, by=None)

    assert list(RotaSignup.objects.all()) == [past]  # what happened stays
    second = do(first, ben)
    assert second.active_claim is None
    assert second.offered_to == ben


def test_a_login_switched_off_in_the_admin_gets_no_date_from_the_rota_or_the_last_claim(pod, ben):
    first = weekly_groceries(pod)
    chen = make_volunteer("Chen", pods=[pod])
    RotaSignup.objects.create(series=first, date=date(2027, 1, 12), volunteer=chen)
    for volunteer in (ben, chen):
        volunteer.user.is_active = False
        volunteer.user.save()

    second = do(first, ben)

    assert second.status == RequestStatus.OPEN
    assert second.active_claim is None
    assert second.offered_to is None


def test_the_request_page_no_longer_says_kept_once_the_day_is_over(client, pod, ben):
    second = do(weekly_groceries(pod), ben)
    chen = make_volunteer("Chen", pods=[pod])
    sign_in(client, chen.user)
    url = reverse("volunteers:request", args=[second.reference])
    assert "Kept first for Ben" in client.get(url).content.decode()

    Request.objects.filter(pk=second.pk).update(offered_until=second.created_at)

    assert "Kept first for" not in client.get(url).content.decode()
