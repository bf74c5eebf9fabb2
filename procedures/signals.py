"""Invalidate cached catalogue reads whenever the catalogue changes (see procedures/cache.py), and
the cached signed-in user whose staff membership changes (accounts/backends.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_changed

from .cache import catalogue_changed
from .models import Agency, Field, Procedure, StaffMembership


@receiver(post_save, sender=Procedure, dispatch_uid="procedures-catalogue-saved-procedure")
@receiver(post_save, sender=Field, dispatch_uid="procedures-catalogue-saved-field")
@receiver(post_save, sender=Agency, dispatch_uid="procedures-catalogue-saved-agency")
@receiver(post_delete, sender=Procedure, dispatch_uid="procedures-catalogue-deleted-procedure")
@receiver(post_delete, sender=Field, dispatch_uid="procedures-catalogue-deleted-field")
@receiver(post_delete, sender=Agency, dispatch_uid="procedures-catalogue-deleted-agency")
def _catalogue_changed(sender, **kwargs) -> None:
    catalogue_changed()


@receiver(post_save, sender=StaffMembership, dispatch_uid="procedures-staff-membership-saved")
@receiver(post_delete, sender=StaffMembership, dispatch_uid="procedures-staff-membership-deleted")
def _membership_changed(sender, instance: StaffMembership, **kwargs) -> None:
    # The cached signed-in user carries its membership (which agency's dossiers it sees).
    user_changed([instance.user_id])
