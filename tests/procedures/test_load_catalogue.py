import json
import shutil
from io import StringIO
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import ProtectedError

import pytest

from procedures.management.commands.load_catalogue import DEFAULT_PATH, load_catalogue
from procedures.models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
)

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "data" / "catalogue.json"
MODELS = [Agency, Field, Procedure, ProcedureStep, DossierComponent, FormField, Fee]
POSTAL_EN = "Issuance of a postal licence"


def snapshot() -> dict:
    """Every catalogue row, every column (updated_at included), by id."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}


def stored_files(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def editable_catalogue(tmp_path):
    """A copy of the fixture catalogue (and its templates) that a test may change."""
    folder = tmp_path / "catalogue"
    shutil.copytree(FIXTURE.parent, folder)
    path = folder / "catalogue.json"

    def edit(change) -> Path:
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    edit.path = path
    return edit


def test_load_creates_the_catalogue_with_children_and_templates(settings):
    load_catalogue(FIXTURE)

    assert Agency.objects.count() == 2
    assert Field.objects.count() == 2
    postal = Procedure.objects.get(national_code="1.004477")
    assert postal.slug == "1-004477"
    assert postal.field.slug == "buu-chinh"
    assert postal.agency.code == "TBC"
    assert postal.search_text == "cap giay phep buu chinh 1.004477"
    assert list(postal.steps.values_list("text", flat=True)) == [
        "Bước 1: Nộp hồ sơ.",
        "Bước 2: Thẩm định.",
        "Bước 3: Trả kết quả.",
    ]
    form, copy = postal.components.all()
    assert form.template.name == "templates/mau-don-thu.docx"
    assert form.template.read() == (FIXTURE.parent / "templates" / "mau-don-thu.docx").read_bytes()
    assert not copy.template
    assert copy.original_kind == "copy"
    assert copy.multiple is True
    assert copy.max_size_mb == 5
    assert list(postal.form_fields.values_list("key", flat=True)) == ["business_name", "scope"]
    assert postal.total_fee == 1_000_000
    assert Procedure.objects.get(national_code="1.004470").is_sample is True
    assert Agency.objects.get(code="TBC").is_sample is True
    # Two procedures share one template file: it is stored once.
    assert sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "templates").iterdir()) == [
        "mau-don-thu.docx",
        "mau-to-khai-thu.docx",
    ]


def test_running_the_command_twice_changes_nothing(settings):
    out = StringIO()
    call_command("load_catalogue", str(FIXTURE), stdout=out)
    assert "Catalogue loaded" in out.getvalue()
    rows, files = snapshot(), stored_files(Path(settings.MEDIA_ROOT))

    out = StringIO()
    call_command("load_catalogue", str(FIXTURE), stdout=out)

    assert "already up to date" in out.getvalue()
    assert snapshot() == rows
    assert stored_files(Path(settings.MEDIA_ROOT)) == files


def test_changed_texts_update_rows_in_place_keeping_ids(editable_catalogue):
    load_catalogue(editable_catalogue.path)
    postal = Procedure.objects.get(national_code="1.004477")
    step_ids = list(postal.steps.values_list("pk", flat=True))
    component_ids = list(postal.components.values_list("pk", flat=True))

    def change(data):
        p = data["procedures"][0]
        p["name"] = "Cấp giấy phép bưu chính (sửa)"
        p["steps"][1] = "Bước 2: Thẩm định hồ sơ."
        p["components"][1]["copies"] = 2
        p["fees"][0]["amount"] = 1_500_000

    stats = load_catalogue(editable_catalogue(change))

    postal.refresh_from_db()
    assert postal.search_text.startswith("cap giay phep buu chinh (sua)")
    assert list(postal.steps.values_list("pk", flat=True)) == step_ids
    assert postal.steps.get(pk=step_ids[1]).text == "Bước 2: Thẩm định hồ sơ."
    assert list(postal.components.values_list("pk", flat=True)) == component_ids
    assert postal.components.get(pk=component_ids[1]).copies == 2
    assert postal.total_fee == 1_500_000
    assert stats.updated == {"procedure": 1, "procedurestep": 1, "dossiercomponent": 1, "fee": 1}
    assert not stats.created
    assert not stats.deleted


def test_reordered_form_fields_keep_their_ids(editable_catalogue):
    load_catalogue(editable_catalogue.path)
    ids = dict(FormField.objects.values_list("key", "pk"))

    load_catalogue(editable_catalogue(lambda d: d["procedures"][0]["form_fields"].reverse()))

    postal = Procedure.objects.get(national_code="1.004477")
    assert list(postal.form_fields.values_list("key", "pk")) == [
        ("scope", ids["scope"]),
        ("business_name", ids["business_name"]),
    ]


def test_removed_children_are_deleted(editable_catalogue):
    load_catalogue(editable_catalogue.path)

    def change(data):
        p = data["procedures"][0]
        p["steps"] = p["steps"][:1]
        p["components"] = p["components"][:1]
        p["form_fields"] = []
        p["fees"] = []

    stats = load_catalogue(editable_catalogue(change))

    postal = Procedure.objects.get(national_code="1.004477")
    assert postal.steps.count() == 1
    assert postal.components.count() == 1
    assert postal.form_fields.count() == 0
    assert postal.fees.count() == 0
    assert stats.deleted == {"procedurestep": 2, "dossiercomponent": 1, "formfield": 2, "fee": 2}


def test_component_that_dossiers_refer_to_is_never_deleted(editable_catalogue, monkeypatch):
    load_catalogue(editable_catalogue.path)
    kept = Procedure.objects.get(national_code="1.004477").components.order_by("order")[1]

    def refuse(self, *args, **kwargs):
        # What Attachment.component (on_delete=PROTECT) does when a dossier uses the component.
        raise ProtectedError("referenced by attachments", set())

    monkeypatch.setattr(DossierComponent, "delete", refuse)
    stats = load_catalogue(editable_catalogue(lambda d: d["procedures"][0]["components"].pop()))

    assert DossierComponent.objects.filter(pk=kept.pk).exists()
    assert any(str(kept.pk) in w and "dossiers refer to it" in w for w in stats.warnings)


def test_changed_template_file_is_stored_again_under_the_same_name(editable_catalogue):
    load_catalogue(editable_catalogue.path)
    source = editable_catalogue.path.parent / "templates" / "mau-don-thu.docx"
    source.write_bytes(b"PK\x03\x04 new version of the form")

    stats = load_catalogue(editable_catalogue.path)

    assert stats.files_stored == 1
    with default_storage.open("templates/mau-don-thu.docx", "rb") as stored:
        assert stored.read() == b"PK\x03\x04 new version of the form"
    assert set(
        DossierComponent.objects.exclude(template="").values_list("template", flat=True)
    ) == {
        "templates/mau-don-thu.docx",
        "templates/mau-to-khai-thu.docx",
    }


def test_missing_template_file_fails_and_writes_nothing(editable_catalogue):
    path = editable_catalogue(
        lambda d: d["procedures"][2]["components"][0].update(template="khong-co.docx")
    )

    with pytest.raises(CommandError, match="khong-co.docx"):
        load_catalogue(path)

    assert not Procedure.objects.exists()
    assert not Agency.objects.exists()


def test_unknown_field_is_refused(editable_catalogue):
    path = editable_catalogue(lambda d: d["procedures"][0].update(field="khong-ton-tai"))

    with pytest.raises(CommandError, match="unknown agency or field"):
        load_catalogue(path)
    assert not Procedure.objects.exists()


def test_reload_keeps_a_procedure_unpublished_by_staff():
    load_catalogue(FIXTURE)
    Procedure.objects.filter(national_code="1.004477").update(is_published=False)

    load_catalogue(FIXTURE)

    assert Procedure.objects.get(national_code="1.004477").is_published is False


@pytest.mark.skipif(not DEFAULT_PATH.exists(), reason="the shipped catalogue is not there yet")
def test_shipped_catalogue_loads_and_is_idempotent(settings):
    stats = load_catalogue()

    assert not stats.warnings
    assert Procedure.objects.count() >= 30
    assert Field.objects.count() >= 8
    assert Field.objects.filter(procedures__isnull=False).distinct().count() >= 8
    assert all(p.steps.exists() and p.components.exists() for p in Procedure.objects.all())
    for name in DossierComponent.objects.exclude(template="").values_list("template", flat=True):
        assert default_storage.exists(name)
    rows, files = snapshot(), stored_files(Path(settings.MEDIA_ROOT))

    assert not load_catalogue().changed
    assert snapshot() == rows
    assert stored_files(Path(settings.MEDIA_ROOT)) == files


def _add_english(data: dict) -> None:
    postal = data["procedures"][0]
    postal["name_en"] = "Issuance of a postal licence"
    postal["conditions_en"] = "Holding an enterprise registration certificate."
    postal["steps"][0] = {"text": postal["steps"][0], "text_en": "Step 1: Submit the dossier."}
    postal["components"][0]["name_en"] = "Application for a postal licence"
    postal["components"][0]["description_en"] = "Using the prescribed form."
    scope = postal["form_fields"][1]
    scope["label_en"] = "Scope"
    scope["help_en"] = "Where letters are delivered"
    scope["choices_en"] = ["Intra-provincial", "Inter-provincial", "International"]
    postal["fees"][0]["name_en"] = "Appraisal fee"


def test_english_texts_are_loaded_beside_the_vietnamese_ones(editable_catalogue):
    load_catalogue(editable_catalogue(_add_english))

    postal = Procedure.objects.get(national_code="1.004477")
    assert (postal.name, postal.name_en) == ("Cấp giấy phép bưu chính", POSTAL_EN)
    assert postal.conditions_en == "Holding an enterprise registration certificate."
    assert postal.content_en == ""  # not in the file: blank, the pages show the Vietnamese
    assert postal.search_text_en == "issuance of a postal licence"
    assert list(postal.steps.values_list("text", "text_en")) == [
        ("Bước 1: Nộp hồ sơ.", "Step 1: Submit the dossier."),
        ("Bước 2: Thẩm định.", ""),
        ("Bước 3: Trả kết quả.", ""),
    ]
    form = postal.components.get(order=0)
    assert (form.name_en, form.description_en) == (
        "Application for a postal licence",
        "Using the prescribed form.",
    )
    scope = postal.form_fields.get(key="scope")
    assert (scope.label_en, scope.help_en) == ("Scope", "Where letters are delivered")
    assert scope.choices == ["Nội tỉnh", "Liên tỉnh", "Quốc tế"]
    assert scope.choices_en == ["Intra-provincial", "Inter-provincial", "International"]
    assert postal.fees.get(order=0).name_en == "Appraisal fee"
    assert Agency.objects.get(code="TBC").name_en == "Department of Post (test)"
    assert Field.objects.get(slug="buu-chinh").name_en == "Postal services"
    assert not load_catalogue(editable_catalogue.path).changed


def test_an_english_translation_removed_from_the_file_is_blanked(editable_catalogue):
    load_catalogue(editable_catalogue(_add_english))

    def drop(data):
        del data["procedures"][0]["name_en"]

    stats = load_catalogue(editable_catalogue(drop))

    assert stats.updated == {"procedure": 1}
    assert Procedure.objects.get(national_code="1.004477").name_en == ""


def test_english_choices_must_match_the_vietnamese_ones(editable_catalogue):
    def mismatch(data):
        data["procedures"][0]["form_fields"][1]["choices_en"] = ["Inter-provincial"]

    with pytest.raises(CommandError, match="has 1 English choices for 3"):
        load_catalogue(editable_catalogue(mismatch))
    assert not Procedure.objects.exists()
