"""Every model a stored page reads moves one of that page's tags (core/cache.py, each app's
cache.py): for each cached page, the tables its build reads are found from its queries, and an
instance of each of their models, saved or deleted alone, must give one of the page's tags a new
token. Otherwise the stored page would show the old row until it expires."""

import re

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from accounts.models import Notification
from core.cache import tag_versions, user_tag
from dossiers.cache import citizen_tag, code_tag, queue_tags
from dossiers.constants import DossierStatus as S
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from procedures.cache import CATALOGUE_TAG
from tests.dossiers.factories import agency_staff
from tests.procedures.factories import (
    AgencyFactory,
    DossierComponentFactory,
    FeeFactory,
    FieldFactory,
    FormFieldFactory,
    ProcedureFactory,
    ProcedureStepFactory,
)
from tests.tracking.factories import DossierEventFactory, DossierFactory

pytestmark = pytest.mark.django_db

# Read by a page's request but not part of what it shows: the visitor's session.
NOT_PAGE_DATA = {"django_session"}
_TABLE = re.compile(r'(?:FROM|JOIN) "([a-z0-9_]+)"')


@pytest.fixture
def procedure():
    """A published procedure with every part of its guidance, in a field, of an agency."""
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC"), field=FieldFactory(slug="buu-chinh")
    )
    ProcedureStepFactory(procedure=procedure)
    component = DossierComponentFactory(procedure=procedure)
    FormFieldFactory(procedure=procedure)
    FeeFactory(procedure=procedure)
    assert component.procedure_id == procedure.pk
    return procedure


@pytest.fixture
def dossier(procedure):
    from django.utils import timezone

    from dossiers.models import DossierStep
    from tests.procedures.factories import UnitFactory

    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    DossierEventFactory(dossier=dossier, note="Đã chuyển phòng thẩm định")
    # At a step of its internal process: the lookup names the unit that handles it.
    now = timezone.now()
    dossier.current_step = DossierStep.objects.create(
        dossier=dossier,
        order=2,
        unit_kind="specialist",
        role="specialist",
        hours=8,
        unit=UnitFactory(agency=procedure.agency),
        started_at=now,
        deadline=now,
    )
    dossier.save(update_fields=["current_step"])
    return dossier


def _signed_in(client, user, first_page: str) -> None:
    """`user` signed in, with a notification waiting, and the CSRF cookie of an earlier page (a
    private page is stored only for a browser that has one)."""
    Notification.objects.create(user=user, title="Hồ sơ đã được tiếp nhận")
    client.force_login(user)
    client.get(reverse(first_page))
    assert settings.CSRF_COOKIE_NAME in client.cookies


def _catalogue_page(name, *args):
    def page(client, procedure, dossier):
        return reverse(name, args=[arg(procedure) for arg in args]), {}, [CATALOGUE_TAG]

    return page


def _lookup_page(name):
    def page(client, procedure, dossier):
        return reverse(name), {"code": dossier.code}, [code_tag(dossier.code), CATALOGUE_TAG]

    return page


def _transaction_list(client, procedure, dossier):
    _signed_in(client, dossier.applicant, "accounts:me")
    tags = [citizen_tag(dossier.applicant_id), CATALOGUE_TAG, user_tag(dossier.applicant_id)]
    return reverse("dossiers:list"), {}, tags


def _staff_queue(client, procedure, dossier):
    from procedures.models import UnitMembership

    officer = agency_staff(procedure.agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    # A specialist of the unit the dossier is at: its work queues are on the page.
    UnitMembership.objects.create(
        user=officer, unit=dossier.current_step.unit, role=dossier.current_step.role
    )
    _signed_in(client, officer, "admin:index")
    tags = [*queue_tags(officer), CATALOGUE_TAG, user_tag(officer.pk)]
    return reverse("admin:dossiers_dossier_changelist"), {}, tags


PAGES = {
    "home": _catalogue_page("procedures:home"),
    "catalogue": _catalogue_page("procedures:list"),
    "field": _catalogue_page("procedures:field", lambda p: p.field.slug),
    "procedure": _catalogue_page("procedures:detail", lambda p: p.slug),
    "lookup": _lookup_page("tracking:lookup"),
    "history": _lookup_page("tracking:history"),
    "transaction list": _transaction_list,
    "staff queue": _staff_queue,
}


def _models_read(client, url: str, params: dict) -> set[type[Model]]:
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    tables = {t for q in captured.captured_queries for t in _TABLE.findall(q["sql"])}
    unknown = tables - set(by_table) - NOT_PAGE_DATA
    assert not unknown, f"tables of no model: {unknown}"
    return {by_table[t] for t in tables - NOT_PAGE_DATA}


def _moves(tags: list[str], write) -> bool | None:
    """Whether `write()` gives one of `tags` a new token; None when the model refuses the write
    (an append-only row, a protected or unique one). The write itself is rolled back."""
    before = tag_versions(tags)
    try:
        with transaction.atomic():
            write()
            moved = tag_versions(tags) != before
            transaction.set_rollback(True)
    except (ValueError, ProtectedError, IntegrityError):
        return None
    return moved


def _writes(instance: Model):
    """Saving the row, adding one like it, deleting it."""

    def add() -> None:
        copy = type(instance)._base_manager.get(pk=instance.pk)
        copy.pk = None
        copy._state.adding = True
        copy.save()

    return {"saving": instance.save, "adding": add, "deleting": instance.delete}


@pytest.fixture
def _staff_need_no_second_factor(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.mark.usefixtures("_staff_need_no_second_factor")
@pytest.mark.parametrize("page", PAGES)
def test_every_model_a_stored_page_reads_moves_its_tags(client, procedure, dossier, page):
    url, params, tags = PAGES[page](client, procedure, dossier)
    models = _models_read(client, url, params)
    assert models, "the page read nothing"

    stale = []
    for model in sorted(models, key=lambda m: m._meta.label):
        instance = model._base_manager.order_by("pk").first()
        assert instance is not None, f"{model._meta.label}: no row, though the page read it"
        outcomes = {what: _moves(tags, write) for what, write in _writes(instance).items()}
        assert set(outcomes.values()) != {None}, f"{model._meta.label}: no write was possible"
        stale += [
            f"{what} a {model._meta.label}"
            for what, moved in outcomes.items()
            if not moved and moved is not None
        ]
    assert not stale, f"{page} stays stale after: {', '.join(stale)}"


def test_the_procedure_page_reads_its_fees_components_form_fields_and_steps(
    client, procedure, dossier
):
    """The models that once left the procedure page stale are among those the check covers."""
    url, params, _tags = PAGES["procedure"](client, procedure, dossier)
    labels = {m._meta.label for m in _models_read(client, url, params)}
    assert {
        "procedures.Fee",
        "procedures.DossierComponent",
        "procedures.FormField",
        "procedures.ProcedureStep",
    } <= labels
