from django.db import transaction
from django.utils import timezone

from volunteers.models import Volunteer


@transaction.atomic
def sign_up(*, name, email, phone, languages, pods, categories, availability, language):
    """A pending volunteer: no account and no access until a coordinator approves.
    Signing up twice with the same email updates the pending sign-up."""
    volunteer = (
        Volunteer.objects.select_for_update()
        .pending()
        .filter(email__iexact=email)
        .order_by("pk")
        .first()
    ) or Volunteer(email=email.lower())
    volunteer.name = name
    volunteer.phone = phone
    volunteer.languages = list(languages)
    volunteer.availability = availability
    volunteer.language = language
    volunteer.agreed_to_privacy_at = timezone.now()
    volunteer.save()
    volunteer.pods.set(pods)
    volunteer.categories.set(categories)
    return volunteer
