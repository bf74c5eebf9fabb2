"""Drop the stored pages that show a dossier whenever it, its history or its supplement requests
change (dossiers/cache.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .cache import dossier_changed
from .models import Dossier, DossierEvent, SupplementRequest


def _changed(dossier: Dossier) -> None:
    dossier_changed(
        code=dossier.code, applicant_id=dossier.applicant_id, agency_id=dossier.agency_id
    )


@receiver(post_save, sender=Dossier, dispatch_uid="dossiers-pages-saved-dossier")
@receiver(post_delete, sender=Dossier, dispatch_uid="dossiers-pages-deleted-dossier")
def _dossier_saved(sender, instance: Dossier, **kwargs) -> None:
    _changed(instance)


@receiver(post_save, sender=DossierEvent, dispatch_uid="dossiers-pages-saved-event")
@receiver(post_delete, sender=DossierEvent, dispatch_uid="dossiers-pages-deleted-event")
@receiver(post_save, sender=SupplementRequest, dispatch_uid="dossiers-pages-saved-supplement")
@receiver(post_delete, sender=SupplementRequest, dispatch_uid="dossiers-pages-deleted-supplement")
def _part_saved(sender, instance: DossierEvent | SupplementRequest, **kwargs) -> None:
    # The dossier is usually loaded already (the services pass it); else one small query.
    if sender.dossier.is_cached(instance):
        _changed(instance.dossier)
        return
    values = (
        Dossier.objects.filter(pk=instance.dossier_id)
        .values("code", "applicant_id", "agency_id")
        .first()
    )
    if values:
        dossier_changed(**values)
