"""Catalogue texts in the reader's language (procedures/i18n.py, the `catalogue` template tags)
and the completeness of the shipped catalogue's English."""

import json

from django.core.cache import cache
from django.template import Context, Template
from django.utils import translation

import pytest

from procedures.i18n import LocalizedText, lang_marked, localized, localized_choices
from procedures.management.commands.load_catalogue import DEFAULT_PATH
from procedures.models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
)

# --- The shipped catalogue is complete in English --------------------------------------------


def _records(data: dict):
    """(where, model, record) for every record of the data file that has translatable texts."""
    for agency in data["agencies"]:
        yield f"agency {agency['code']}", Agency, agency
    for field in data["fields"]:
        yield f"field {field['slug']}", Field, field
    for p in data["procedures"]:
        code = p["national_code"]
        yield code, Procedure, p
        for n, step in enumerate(p.get("steps", []), 1):
            yield (
                f"{code} step {n}",
                ProcedureStep,
                (step if isinstance(step, dict) else {"text": step}),
            )
        for n, component in enumerate(p.get("components", []), 1):
            yield f"{code} component {n}", DossierComponent, component
        for form_field in p.get("form_fields", []):
            yield f"{code} form field {form_field['key']}", FormField, form_field
        for n, fee in enumerate(p.get("fees", []), 1):
            yield f"{code} fee {n}", Fee, fee


def test_the_shipped_catalogue_has_an_english_text_for_every_vietnamese_one():
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    missing = []
    checked = 0
    for where, model, record in _records(data):
        for name in model.TRANSLATED_FIELDS:
            vietnamese = record.get(name)
            if not vietnamese:
                continue
            checked += 1
            english = record.get(f"{name}_en")
            if isinstance(vietnamese, list):
                complete = (
                    isinstance(english, list)
                    and len(english) == len(vietnamese)
                    and all(isinstance(e, str) and e.strip() for e in english)
                )
            else:
                complete = isinstance(english, str) and bool(english.strip())
            if not complete:
                missing.append(f"{where}: {name}_en")

    assert checked > 1000  # every record was read, not an empty file
    assert missing == []


def test_the_completeness_check_sees_a_missing_english_text():
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    del data["procedures"][3]["form_fields"][0]["label_en"]
    data["procedures"][5]["steps"][1]["text_en"] = ""

    gaps = [
        (where, name)
        for where, model, record in _records(data)
        for name in model.TRANSLATED_FIELDS
        if record.get(name) and not record.get(f"{name}_en")
    ]

    assert len(gaps) == 2


def test_every_model_text_with_an_english_twin_is_listed_as_translated():
    """A new `<field>_en` column must be named in TRANSLATED_FIELDS, so the data file, the
    loader and the completeness check above all see it."""
    for model in (Agency, Field, Procedure, ProcedureStep, DossierComponent, FormField, Fee):
        twins = {
            f.name.removesuffix("_en")
            for f in model._meta.get_fields()
            if f.name.endswith("_en") and getattr(f, "editable", False)
        }
        assert twins == set(model.TRANSLATED_FIELDS), model.__name__


# --- The accessor ----------------------------------------------------------------------------


def test_english_readers_get_the_english_text_and_vietnamese_readers_the_vietnamese():
    agency = Agency(name="Vụ Bưu chính", name_en="Department of Post")

    with translation.override("en"):
        english = agency.display_name
    with translation.override("vi"):
        vietnamese = agency.display_name

    assert (english, english.lang) == ("Department of Post", "en")
    assert (vietnamese, vietnamese.lang) == ("Vụ Bưu chính", "vi")


def test_a_missing_english_text_falls_back_to_the_vietnamese_one():
    with translation.override("en"):
        text = localized(Agency(name="Cục Báo chí", name_en=""), "name")

    assert (text, text.lang) == ("Cục Báo chí", "vi")


def test_a_values_row_is_read_by_its_lookup_name():
    row = {"agency__name": "Vụ Bưu chính", "agency__name_en": "Department of Post"}

    with translation.override("en"):
        assert localized(row, "agency__name") == "Department of Post"
    with translation.override("vi"):
        assert localized(row, "agency__name") == "Vụ Bưu chính"


def test_choices_keep_their_stored_value_and_show_the_readers_label():
    field = FormField(
        choices=["Liên tỉnh", ["qt", "Quốc tế"], "Khác"],
        choices_en=["Inter-provincial", "International", ""],
    )

    with translation.override("en"):
        assert localized_choices(field) == [
            ("Liên tỉnh", "Inter-provincial"),
            ("qt", "International"),
            ("Khác", "Khác"),
        ]
        assert field.display_value("qt") == "International"
        assert field.display_value("") == ""
    with translation.override("vi"):
        assert field.display_value("Liên tỉnh") == "Liên tỉnh"


def test_a_localized_text_keeps_its_language_through_the_cache():
    cache.set("test-i18n-text", LocalizedText("Authority of Press", "en"))

    copy = cache.get("test-i18n-text")

    assert (copy, copy.lang) == ("Authority of Press", "en")


# --- The template tags -----------------------------------------------------------------------


def _render(source: str, **context) -> str:
    return Template("{% load catalogue %}" + source).render(Context(context))


def test_a_fallback_is_marked_as_vietnamese_only_for_english_readers():
    procedure = Procedure(name="Cấp thẻ nhà báo", name_en="")

    with translation.override("en"):
        english = _render('{% tr procedure "name" %}', procedure=procedure)
    with translation.override("vi"):
        vietnamese = _render('{% tr procedure "name" %}', procedure=procedure)

    assert english == '<span lang="vi">Cấp thẻ nhà báo</span>'
    assert vietnamese == "Cấp thẻ nhà báo"


def test_a_translated_text_is_not_marked():
    procedure = Procedure(name="Cấp thẻ nhà báo", name_en="Issuance of a press card")

    with translation.override("en"):
        html = _render(
            '{% tr procedure "name" %} / {{ procedure|localized:"name" }}', procedure=procedure
        )

    assert html == "Issuance of a press card / Issuance of a press card"


def test_long_texts_become_paragraphs_in_a_vietnamese_block_when_falling_back():
    procedure = Procedure(content="Dòng một.\n\nDòng <hai>.", content_en="")

    with translation.override("en"):
        html = _render('{% tr procedure "content" block=True %}', procedure=procedure)

    assert html == '<div lang="vi"><p>Dòng một.</p>\n\n<p>Dòng &lt;hai&gt;.</p></div>'


def test_an_element_that_cannot_hold_a_span_gets_the_lang_attribute():
    agencies = [Agency(name="Cục A", name_en="Authority A"), Agency(name="Cục B", name_en="")]
    source = (
        '{% for a in agencies %}{% with n=a|localized:"name" %}'
        "<option{{ n|lang_attr }}>{{ n }}</option>{% endwith %}{% endfor %}"
    )

    with translation.override("en"):
        html = _render(source, agencies=agencies)

    assert html == '<option>Authority A</option><option lang="vi">Cục B</option>'


def test_marked_text_is_escaped():
    text = LocalizedText("<b>Cục</b>", "vi")

    with translation.override("en"):
        assert lang_marked(text) == '<span lang="vi">&lt;b&gt;Cục&lt;/b&gt;</span>'


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_tag_takes_a_text_already_localized(language):
    with translation.override(language):
        html = _render("{% tr name %}", name=LocalizedText("Cục Báo chí", "vi"))

    assert html == ('<span lang="vi">Cục Báo chí</span>' if language == "en" else "Cục Báo chí")
