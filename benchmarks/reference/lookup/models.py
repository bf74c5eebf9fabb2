"""Read-only views of the portal's dossier tables (unmanaged: never migrated or written)."""

from django.db import models


class Dossier(models.Model):
    code = models.CharField(max_length=32, unique=True, null=True)
    status = models.CharField(max_length=24)
    applicant_name = models.CharField(max_length=255)
    received_at = models.DateTimeField(null=True)
    due_date = models.DateField(null=True)

    class Meta:
        managed = False
        db_table = "dossiers_dossier"

    def __str__(self) -> str:
        return self.code or ""


class DossierEvent(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.DO_NOTHING, related_name="events")
    created_at = models.DateTimeField()
    to_status = models.CharField(max_length=24)
    handling_unit = models.CharField(max_length=255)
    is_public = models.BooleanField()

    class Meta:
        managed = False
        db_table = "dossiers_dossierevent"

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.to_status}"
