"""Drop the cached signed-in user whose staff membership changes (accounts/backends.py). The
catalogue's page-cache tag is declared in procedures/cache.py."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_changed

from .models import StaffMembership


@receiver(post_save, sender=StaffMembership, dispatch_uid="procedures-staff-membership-saved")
@receiver(post_delete, sender=StaffMembership, dispatch_uid="procedures-staff-membership-deleted")
def _membership_changed(sender, instance: StaffMembership, **kwargs) -> None:
    # The cached signed-in user carries its membership (which agency's dossiers it sees).
    user_changed([instance.user_id])
