"""Keeping it safe at the door: production settings, sign-in throttling, sessions that
end, two-step sign-in for coordinators, and an audit trail nobody can edit."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app.models import AuditAction, AuditEntry, RequestStatus
from tests.factories import make_pod, make_request, make_user, make_volunteer, sign_in
from volunteers.middleware import SEEN_AT, SIGNED_IN_AT
from volunteers.services import deactivate_volunteer

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def make_coordinator():
    coordinator = make_volunteer("Maria", groups=["Coordinator"])
    coordinator.user.is_staff = True
    coordinator.user.save(update_fields=["is_staff"])
    return coordinator


# --- Production settings -----------------------------------------------------------------


def test_check_deploy_reports_nothing_with_debug_off():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "waltham_aid.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "aid.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_passwords_are_checked_by_djangos_validators(client, volunteer):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("password", volunteer.user)
    with pytest.raises(ValidationError):
        validate_password("12345678", volunteer.user)


# --- Sign-in throttling ------------------------------------------------------------------


def sign_in_form(client, username, password, **extra):
    return client.post(
        reverse("volunteers:login"), {"username": username, "password": password}, **extra
    )


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, volunteer):
    volunteer.user.set_password("the-right-one-42")
    volunteer.user.save()
    for _attempt in range(5):
        assert sign_in_form(client, volunteer.user.username, "wrong").status_code == 200
    locked = sign_in_form(client, volunteer.user.username, "the-right-one-42")
    assert "_auth_user_id" not in client.session
    assert "Too many tries to sign in" in locked.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN_REFUSED).exists()
    failed = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert failed.count() == 5
    assert set(failed.values_list("subject", flat=True)) == {volunteer.user.username}


def test_another_account_from_another_address_is_not_locked_out(client, volunteer):
    other = make_volunteer("Ben").user
    other.set_password("bens-own-password-9")
    other.save()
    for _attempt in range(5):
        sign_in_form(client, volunteer.user.username, "wrong", REMOTE_ADDR="10.0.0.1")
    sign_in_form(client, other.username, "bens-own-password-9", REMOTE_ADDR="10.0.0.2")
    assert client.session["_auth_user_id"] == str(other.pk)


def test_one_address_trying_many_accounts_is_stopped(client, db):
    for attempt in range(20):
        sign_in_form(client, f"guess{attempt}", "wrong", REMOTE_ADDR="10.0.0.9")
    victim = make_volunteer("Ana").user
    victim.set_password("anas-password-77")
    victim.save()
    response = sign_in_form(client, victim.username, "anas-password-77", REMOTE_ADDR="10.0.0.9")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_the_lockout_is_told_in_the_volunteers_language(client, volunteer):
    for _attempt in range(6):
        response = client.post(
            reverse("volunteers:login").replace("/en/", "/es/"),
            {"username": volunteer.user.username, "password": "wrong"},
        )
    html = response.content.decode()
    assert "Too many tries to sign in" not in html
    assert "15 minutos" in html


def test_the_admin_login_is_throttled_too(client):
    make_user("root", is_staff=True, is_superuser=True)
    for _attempt in range(6):
        response = client.post(reverse("admin:login"), {"username": "root", "password": "wrong"})
    assert "Too many tries to sign in" in response.content.decode()


def test_a_failed_sign_in_never_records_what_was_typed_as_a_name(client, volunteer):
    sign_in_form(client, "my-secret-password-typed-in-the-wrong-box", "x")
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert "secret" not in f"{entry.username} {entry.subject} {entry.detail}"


# --- Sessions ------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, volunteer):
    volunteer.user.set_password("the-right-one-42")
    volunteer.user.save()
    client.get(reverse("volunteers:login"))
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = session.session_key
    sign_in_form(client, volunteer.user.username, "the-right-one-42")
    assert client.session.session_key != before
    assert AuditEntry.objects.filter(action=AuditAction.SIGNED_IN).exists()


def age_session(client, *, idle, total):
    now = time.time()
    session = client.session
    session[SEEN_AT] = now - idle
    session[SIGNED_IN_AT] = now - total
    session.save()


def test_thirty_minutes_idle_signs_a_volunteer_out(client, volunteer):
    sign_in(client, volunteer)
    age_session(client, idle=29 * 60, total=3600)
    assert client.get(reverse("volunteers:queue")).status_code == 200
    age_session(client, idle=31 * 60, total=3600)
    response = client.get(reverse("volunteers:queue"))
    assert response.status_code == 302
    assert reverse("volunteers:login") in response["Location"]


def test_twelve_hours_in_all_signs_a_busy_volunteer_out(client, volunteer):
    sign_in(client, volunteer)
    age_session(client, idle=10, total=12 * 3600 + 60)
    assert client.get(reverse("volunteers:queue")).status_code == 302


def test_a_deactivated_volunteer_is_out_at_once_and_their_requests_go_back(client, volunteer, pod):
    aid_request = make_request(pod=pod)
    aid_request.claim(volunteer)
    sign_in(client, volunteer)
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)

    deactivate_volunteer(volunteer, by=coordinator)

    assert client.get(reverse("volunteers:queue")).status_code == 302
    aid_request.refresh_from_db()
    assert aid_request.status == RequestStatus.OPEN
    entry = AuditEntry.objects.get(action=AuditAction.VOLUNTEER_DEACTIVATED)
    assert (entry.username, entry.subject) == ("maria", volunteer.user.username)


def test_the_admin_action_deactivates(client, volunteer):
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)
    sign_in(client, coordinator)
    client.post(
        reverse("admin:volunteers_volunteer_changelist"),
        {"action": "deactivate", "_selected_action": [volunteer.pk]},
    )
    assert not User.objects.get(pk=volunteer.user.pk).is_active


def test_removed_from_a_pod_the_session_ends_at_once(client, volunteer, pod):
    sign_in(client, volunteer)
    assert client.get(reverse("volunteers:queue")).status_code == 200
    volunteer.pods.remove(pod)
    assert client.get(reverse("volunteers:queue")).status_code == 302
    # Signing in again works: the change only ends sessions that began before it.
    sign_in(client, volunteer)
    assert client.get(reverse("volunteers:queue")).status_code == 200


def test_no_longer_a_point_person_the_session_ends_at_once(client, point_person, pod):
    sign_in(client, point_person)
    pod.point_people.remove(point_person)
    assert client.get(reverse("volunteers:my_work")).status_code == 302


def test_the_trail_says_removed_from_a_pod_only_when_someone_was(volunteer, point_person, pod):
    coordinator = make_user("maria", groups=["Coordinator"], is_staff=True)
    removed = AuditEntry.objects.filter(action=AuditAction.REMOVED_FROM_POD)

    volunteer.pods.clear()
    assert list(removed.values_list("subject", flat=True)) == [volunteer.user.username]

    deactivate_volunteer(volunteer, by=coordinator)  # in no pod now, leading none
    assert removed.count() == 1

    deactivate_volunteer(point_person, by=coordinator)  # leads the pod: that ends
    assert removed.filter(subject=point_person.user.username).count() == 1


def test_emptying_a_pod_ends_every_members_session_in_one_update(
    client, volunteer, pod, django_assert_max_num_queries
):
    for n in range(5):
        make_volunteer(f"Helper {n}", pods=[pod])
    sign_in(client, volunteer)

    # The members (and their logins), one UPDATE, one INSERT, the clear itself.
    with django_assert_max_num_queries(4):
        pod.volunteers.clear()

    assert client.get(reverse("volunteers:queue")).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.REMOVED_FROM_POD).count() == 6


def test_the_privacy_page_states_the_idle_limit_that_is_set(client, settings):
    settings.SESSION_IDLE_SECONDS = 15 * 60
    assert "Sign-ins end after 15 minutes without use." in client.get("/en/privacy/").text
    assert "بعد 15 دقيقة دون استخدام" in client.get("/ar/privacy/").text
    settings.SESSION_IDLE_SECONDS = 60
    assert "Sign-ins end after 1 minute without use." in client.get("/en/privacy/").text


# --- Two-step sign-in for coordinators ----------------------------------------------------


@pytest.fixture
def coordinator_signed_in_with_password_only(client):
    coordinator = make_coordinator()
    client.force_login(coordinator.user)
    return coordinator


def code_for(device, offset=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def test_a_coordinator_sets_up_a_phone_app_then_gets_in(
    client, coordinator_signed_in_with_password_only
):
    queue = reverse("volunteers:queue")
    response = client.get(queue)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("volunteers:two_factor"))

    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page  # the QR code to scan, drawn here
    device = TOTPDevice.objects.get(user=coordinator_signed_in_with_password_only.user)
    assert not device.confirmed

    wrong = client.post(reverse("volunteers:two_factor"), {"code": "000000", "next": queue})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    time.sleep(1.1)  # django-otp slows down guessing after a wrong code

    right = client.post(reverse("volunteers:two_factor"), {"code": code_for(device), "next": queue})
    assert right.status_code == 302
    assert right["Location"] == queue
    assert client.get(queue).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.TWO_FACTOR_FAILED, AuditAction.TWO_FACTOR_SET_UP} <= actions


def test_a_confirmed_device_asks_only_for_the_code_and_no_qr(
    client, coordinator_signed_in_with_password_only
):
    TOTPDevice.objects.create(
        user=coordinator_signed_in_with_password_only.user, name="phone", confirmed=True
    )
    page = client.get(reverse("volunteers:two_factor")).content.decode()
    assert "<svg" not in page
    assert 'name="code"' in page


@pytest.mark.parametrize(
    "url",
    [
        "admin:index",
        "admin:requests_app_neighbor_changelist",
        "volunteers:reports",
        "volunteers:flyers",
        "volunteers:my_work",
    ],
)
def test_without_the_second_step_a_coordinator_sees_nothing(
    client, coordinator_signed_in_with_password_only, url
):
    response = client.get(reverse(url), follow=True)
    assert response.redirect_chain
    assert response.request["PATH_INFO"] == reverse("volunteers:two_factor")
    assert 'name="code"' in response.content.decode()


def test_a_plain_volunteer_never_meets_the_second_step(client, volunteer):
    client.force_login(volunteer.user)
    assert client.get(reverse("volunteers:queue")).status_code == 200


def test_the_next_address_after_the_second_step_stays_on_this_site(
    client, coordinator_signed_in_with_password_only
):
    client.get(reverse("volunteers:two_factor"))
    device = TOTPDevice.objects.get(user=coordinator_signed_in_with_password_only.user)
    response = client.post(
        reverse("volunteers:two_factor"),
        {"code": code_for(device), "next": "https://evil.example.org/"},
    )
    assert response["Location"] == reverse("volunteers:queue")


# --- The audit trail ----------------------------------------------------------------------


def test_the_audit_trail_is_append_only_in_code_and_in_the_admin(client):
    entry = AuditEntry.objects.record(AuditAction.EXPORTED, detail="3 requests")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.update(detail="rewritten")

    sign_in(client, make_user("root", is_staff=True, is_superuser=True))
    change = reverse("admin:requests_app_auditentry_change", args=[entry.pk])
    assert client.post(change, {"detail": "rewritten"}).status_code in {403, 404}
    delete = reverse("admin:requests_app_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code in {403, 404}
    assert AuditEntry.objects.get(pk=entry.pk).detail == "3 requests"


def test_coordinators_read_and_filter_the_audit_trail(client, pod):
    coordinator = make_coordinator()
    sign_in(client, coordinator)
    aid_request = make_request(pod=pod)
    helper = make_volunteer("Ben", pods=[pod])
    aid_request.claim(helper)
    aid_request.close(RequestStatus.FULFILLED, by=helper.user)
    client.get(reverse("admin:requests_app_neighbor_change", args=[aid_request.neighbor_id]))
    client.post(
        reverse("admin:requests_app_request_changelist"),
        {"action": "export_csv", "_selected_action": [aid_request.pk]},
    )

    trail = reverse("admin:requests_app_auditentry_changelist")
    everything = client.get(trail).content.decode()
    for action in ("Outcome set", "Contact details viewed", "Requests exported"):
        assert action in everything
    only_views = client.get(trail, {"action__exact": AuditAction.CONTACT_VIEWED})
    assert only_views.status_code == 200
    rows = only_views.context["cl"].result_list
    assert {entry.action for entry in rows} == {AuditAction.CONTACT_VIEWED}


def test_a_plain_volunteer_cannot_open_the_audit_trail(client, volunteer):
    sign_in(client, volunteer)
    response = client.get(reverse("admin:requests_app_auditentry_changelist"))
    assert response.status_code == 302  # to the admin's sign-in: not staff


def test_a_pod_point_person_cannot_read_the_trail_even_as_staff(client):
    staff = make_user("staffer", is_staff=True)
    make_pod()
    sign_in(client, staff)
    assert client.get(reverse("admin:requests_app_auditentry_changelist")).status_code == 404
