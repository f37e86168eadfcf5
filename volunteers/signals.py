"""Sign-ins: the session clock starts, and the audit trail notes who came in or failed."""

import logging

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from requests_app.models import AuditAction, AuditEntry
from volunteers.middleware import start_session_clock
from volunteers.models import Pod, Volunteer
from waltham_aid.logs import person

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="volunteers.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
    AuditEntry.objects.record(AuditAction.SIGNED_IN, by=user)


@receiver(user_login_failed, dispatch_uid="volunteers.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Only a name that is an account's: people sometimes type their password (or their
    # email) into the user name box, and that must not land in the trail.
    typed = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=typed).first()
    AuditEntry.objects.record(
        AuditAction.SIGN_IN_FAILED,
        by=user,
        subject=user.get_username() if user else "",
        detail="" if user else "no such account",
    )
    logger.warning("Sign-in failed for %s", person(user, nobody="no such account"))


@receiver(m2m_changed, sender=Volunteer.pods.through, dispatch_uid="volunteers.left_pod")
@receiver(m2m_changed, sender=Pod.point_people.through, dispatch_uid="volunteers.left_lead")
def left_a_pod(sender, instance, action, reverse, pk_set, **kwargs):
    """Removed from a pod, or no longer its point person: their sessions end at once,
    and the audit trail says so. One UPDATE and one INSERT however many leave."""
    if action not in ("pre_remove", "pre_clear"):
        return
    leads = sender is Pod.point_people.through
    if isinstance(instance, Volunteer):
        # Django announces a clear even when there is nothing to clear (deactivating a
        # volunteer who leads no pod): nobody left anything then.
        if action == "pre_clear" and not (instance.pods_led if leads else instance.pods).exists():
            return
        leaving = Volunteer.objects.filter(pk=instance.pk)
    elif action == "pre_clear":
        leaving = instance.point_people.all() if leads else instance.volunteers.all()
    else:
        leaving = Volunteer.objects.filter(pk__in=pk_set)
    # A sign-up not yet approved has no session to end.
    leaving = list(leaving.filter(approved_at__isnull=False).select_related("user"))
    if not leaving:
        return
    Volunteer.objects.filter(pk__in=[volunteer.pk for volunteer in leaving]).end_sessions()
    AuditEntry.objects.record_each(
        AuditAction.REMOVED_FROM_POD, [volunteer.audit_name for volunteer in leaving]
    )
