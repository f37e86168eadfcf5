from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import LanguagesField


class PodQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Pod(models.Model):
    """A neighborhood group of 30-60 households, with point people who keep it moving.
    Name and description are translated (modeltranslation)."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("short name"), unique=True)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    # Streets and landmarks only: never house numbers.
    area_description = models.CharField(
        _("area"),
        max_length=300,
        blank=True,
        help_text=_("Streets and landmarks, never house numbers."),
    )
    point_people = models.ManyToManyField(
        "Volunteer", related_name="pods_led", blank=True, verbose_name=_("point people")
    )
    active = models.BooleanField(_("active"), default=True)
    # Moves on every save: public pages kept in memory are drawn again (kept_pages).
    changed_at = models.DateTimeField(auto_now=True, editable=False)

    objects = PodQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("pod")
        verbose_name_plural = _("pods")

    def __str__(self):
        return self.name


class VolunteerQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(approved_at__isnull=False, user__is_active=True)

    def pending(self):
        return self.filter(approved_at__isnull=True)

    def end_sessions(self):
        """Sessions these volunteers signed in before now end at their next page, in one
        UPDATE however many they are (Volunteer.end_sessions does one)."""
        return self.update(access_changed_at=timezone.now())


class Volunteer(models.Model):
    """A vetted neighbor who helps. Signs up without an account; a coordinator approves,
    which creates the login. No access to anyone's details before that."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    languages = LanguagesField(_("languages spoken"), default=list, blank=True)
    pods = models.ManyToManyField(
        Pod, related_name="volunteers", blank=True, verbose_name=_("pods")
    )
    categories = models.ManyToManyField(
        "requests_app.Category",
        related_name="volunteers",
        blank=True,
        verbose_name=_("helps with"),
    )
    availability = models.CharField(_("availability"), max_length=200, blank=True)
    share_phone_on_flyer = models.BooleanField(
        _("my first name and phone may go on my pod's door flyer"), default=False
    )
    language = models.CharField(
        _("language for emails"), max_length=7, choices=settings.LANGUAGES, default="en"
    )
    agreed_to_privacy_at = models.DateTimeField(_("agreed to the privacy promise"), null=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # Removed from a pod or deactivated: sessions signed in before this end at once.
    access_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        indexes = [models.Index(fields=["approved_at", "created_at"])]

    def __str__(self):
        return self.name

    @property
    def audit_name(self):
        """How the audit trail names a volunteer: their user name, or a record number."""
        return self.user.get_username() if self.user_id else f"volunteer {self.pk}"

    def end_sessions(self):
        """Sessions signed in before now end at their next page (volunteer_required)."""
        self.access_changed_at = timezone.now()
        self.save(update_fields=["access_changed_at"])

    end_sessions.alters_data = True
