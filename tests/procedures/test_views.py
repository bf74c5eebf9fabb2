import re

from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

import pytest

from procedures.management.commands.load_catalogue import load_catalogue
from procedures.models import Procedure

from .conftest import bulk_procedures
from .factories import (
    AgencyFactory,
    DossierComponentFactory,
    FeeFactory,
    FieldFactory,
    FormFieldFactory,
    ProcedureFactory,
    ProcedureStepFactory,
)

pytestmark = pytest.mark.django_db

POSTAL = "Cấp giấy phép bưu chính"


def text(response) -> str:
    """The page's visible text with tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def listed(response) -> list[str]:
    return [p.name for p in response.context["procedures"]]


# --- Home ----------------------------------------------------------------------------------------


def test_home_shows_search_fields_with_counts_popular_and_lookup_link(client, catalogue):
    Procedure.objects.filter(national_code="1.004470").update(is_published=False)

    response = client.get(reverse("procedures:home"))

    assert response.status_code == 200
    page = text(response)
    assert 'name="q"' in response.content.decode()
    assert f'action="{reverse("procedures:list")}"' in response.content.decode()
    counts = {f.slug: f.procedure_count for f in response.context["fields"]}
    assert counts == {"buu-chinh": 1, "vien-thong": 1}
    assert "Postal services 1 " in page  # the field tile (in English) with its published count
    assert [p.name for p in response.context["popular"]] == [
        POSTAL,
        "Cấp giấy phép thiết lập mạng viễn thông công cộng",
    ]
    assert "Sửa đổi, bổ sung giấy phép bưu chính" not in page
    assert f'href="{reverse("tracking:lookup")}"' in response.content.decode()
    assert f'href="{reverse("procedures:field", args=["buu-chinh"])}"' in response.content.decode()


# --- List, search, filters, pagination ----------------------------------------------------------


def test_list_search_without_accents(client, catalogue):
    response = client.get(reverse("procedures:list"), {"q": "giay phep buu chinh"})

    assert listed(response)[0] == POSTAL
    assert POSTAL in text(response)


def test_list_field_filter(client, catalogue):
    response = client.get(reverse("procedures:list"), {"field": "vien-thong"})

    assert listed(response) == ["Cấp giấy phép thiết lập mạng viễn thông công cộng"]
    assert response.context["page"].paginator.count == 1
    assert re.search(r'id="results-title"[^>]*>\s*1 ', response.content.decode())


def test_list_agency_and_level_filters(client, catalogue):
    by_agency = client.get(reverse("procedures:list"), {"agency": "TBC"})
    by_level = client.get(reverse("procedures:list"), {"level": "partial"})
    both = client.get(reverse("procedures:list"), {"agency": "TBC", "level": "full"})

    assert set(listed(by_agency)) == {POSTAL, "Sửa đổi, bổ sung giấy phép bưu chính"}
    assert listed(by_level) == ["Sửa đổi, bổ sung giấy phép bưu chính"]
    assert listed(both) == [POSTAL]
    # The chosen filters stay selected in the form.
    html = both.content.decode()
    assert '<option value="TBC" selected>' in html
    assert 'value="full" checked' in html


def test_list_is_paginated_by_twenty_with_a_result_count(client):
    bulk_procedures(45)

    first = client.get(reverse("procedures:list"))
    last = client.get(reverse("procedures:list"), {"page": 3})
    beyond = client.get(reverse("procedures:list"), {"page": 99})

    assert len(listed(first)) == 20
    assert first.context["page"].paginator.count == 45
    assert "45" in text(first)
    assert 'rel="next"' in first.content.decode()
    assert len(listed(last)) == 5
    assert listed(beyond) == listed(last)
    assert set(listed(first)).isdisjoint(listed(last))


def test_pagination_keeps_the_search(client):
    bulk_procedures(60)

    response = client.get(reverse("procedures:list"), {"q": "hang loat", "level": "full"})

    assert response.context["page"].paginator.count == 30
    assert "q=hang+loat" in response.content.decode()
    assert "level=full" in response.content.decode()


def test_list_hides_unpublished_procedures(client, catalogue):
    Procedure.objects.filter(national_code="1.004477").update(is_published=False)

    assert POSTAL not in listed(client.get(reverse("procedures:list")))
    assert POSTAL not in listed(client.get(reverse("procedures:list"), {"q": "buu chinh"}))
    assert POSTAL not in text(client.get(reverse("procedures:field", args=["buu-chinh"])))


def test_empty_search_says_so(client, catalogue):
    response = client.get(reverse("procedures:list"), {"q": "khong ton tai xyz"})

    assert listed(response) == []
    assert "0" in text(response)


# --- Field page ----------------------------------------------------------------------------------


def test_field_page_lists_its_procedures_and_searches_within(client, catalogue):
    url = reverse("procedures:field", args=["buu-chinh"])

    response = client.get(url)
    narrowed = client.get(url, {"q": "sua doi"})

    assert response.status_code == 200
    assert set(listed(response)) == {POSTAL, "Sửa đổi, bổ sung giấy phép bưu chính"}
    assert listed(narrowed) == ["Sửa đổi, bổ sung giấy phép bưu chính"]
    assert client.get(reverse("procedures:field", args=["khong-co"])).status_code == 404


# --- Detail ----------------------------------------------------------------------------------------


def test_detail_shows_all_guidance(client, catalogue):
    procedure = catalogue["1.004477"]

    response = client.get(procedure.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    html = response.content.decode()
    for expected in [
        POSTAL,
        "1.004477",
        "Cấp giấy phép bưu chính.",  # content
        "Doanh nghiệp",  # who may apply
        "Có giấy chứng nhận đăng ký doanh nghiệp.",  # conditions
        "Đơn đề nghị cấp giấy phép bưu chính",
        "Bản sao Giấy chứng nhận đăng ký doanh nghiệp",
        "PDF, JPG, PNG",
        "1,000,000 VND",
        "Giấy phép bưu chính",  # result
        "Luật Bưu chính 2010",  # legal basis
        "Department of Post (test)",  # agency, in English
        "024 0000 0001",
    ]:
        assert expected in page, expected
    steps = [page.index(s) for s in ("Bước 1: Nộp", "Bước 2: Thẩm định", "Bước 3: Trả")]
    assert steps == sorted(steps)
    assert f'href="{reverse("procedures:field", args=["buu-chinh"])}"' in html
    assert '<th scope="col">' in html
    form = procedure.components.get(order=0)
    assert f'href="{reverse("procedures:template", args=[procedure.slug, form.pk])}"' in html
    # The copy has no template, so only one download link.
    assert html.count("/templates/") == 1
    assert "30" in page  # processing days


def test_detail_tags_sample_data(client, catalogue):
    sample = client.get(catalogue["1.004470"].get_absolute_url())
    real = client.get(catalogue["1.004477"].get_absolute_url())

    def header(response) -> str:
        return (
            response.content.decode()
            .split('<header class="proc-header">', 1)[1]
            .split("</header>", 1)[0]
        )

    assert 'class="tag-sample"' in header(sample)
    assert "tag-sample" not in header(real)


def test_detail_submit_button_links_to_the_dossier_form_when_it_exists(client, catalogue):
    procedure = catalogue["1.004477"]

    html = client.get(procedure.get_absolute_url()).content.decode()

    try:
        submit_url = reverse("dossiers:create", args=[procedure.slug])
    except NoReverseMatch:
        assert "button-submit" not in html
    else:
        assert f'href="{submit_url}"' in html


def test_unpublished_detail_is_404_for_the_public_but_staff_can_preview(
    client, catalogue, django_user_model
):
    Procedure.objects.filter(slug="1-004477").update(is_published=False)
    url = reverse("procedures:detail", args=["1-004477"])

    assert client.get(url).status_code == 404

    citizen = django_user_model.objects.create_user(email="c@example.com", password="x")
    client.force_login(citizen)
    assert client.get(url).status_code == 404

    staff = django_user_model.objects.create_superuser(email="s@example.gov.vn", password="x")
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "button-submit" not in response.content.decode()


def test_unknown_procedure_is_404(client, db):
    assert client.get(reverse("procedures:detail", args=["khong-co"])).status_code == 404


# --- Template download --------------------------------------------------------------------------


def test_template_download_streams_the_file_as_attachment(client, catalogue):
    procedure = catalogue["1.004477"]
    component = procedure.components.get(order=0)

    response = client.get(reverse("procedures:template", args=[procedure.slug, component.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="mau-don-thu.docx"'
    assert (
        b"".join(response.streaming_content) == default_storage.open(component.template.name).read()
    )


def test_template_download_404s(client, catalogue):
    postal = catalogue["1.004477"]
    with_template = postal.components.get(order=0)
    without_template = postal.components.get(order=1)
    other = catalogue["1.002090"]

    def get(slug, pk):
        return client.get(reverse("procedures:template", args=[slug, pk])).status_code

    assert get(postal.slug, without_template.pk) == 404
    assert get(other.slug, with_template.pk) == 404  # not this procedure's component
    assert get(postal.slug, 999999) == 404

    default_storage.delete("templates/mau-to-khai-thu.docx")
    sample = catalogue["1.004470"]
    assert get(sample.slug, sample.components.get().pk) == 404  # file gone from storage

    Procedure.objects.filter(pk=postal.pk).update(is_published=False)
    assert get(postal.slug, with_template.pk) == 404


# --- Query budgets --------------------------------------------------------------------------------


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def detailed_procedure(field, agency) -> Procedure:
    procedure = ProcedureFactory(field=field, agency=agency, name="Thủ tục chi tiết")
    for _ in range(5):
        ProcedureStepFactory(procedure=procedure)
        DossierComponentFactory(procedure=procedure, with_template=True)
        FormFieldFactory(procedure=procedure)
        FeeFactory(procedure=procedure)
    return procedure


PAGES = {
    # page name: (url maker, query params, query budget)
    "home": (lambda p: reverse("procedures:home"), {}, 2),
    "list": (lambda p: reverse("procedures:list"), {}, 4),
    "search": (
        lambda p: reverse("procedures:list"),
        {"q": "thu tuc", "field": "", "level": "full", "page": 2},
        # On PostgreSQL one more: whether the exact words fill a page (else typos are matched).
        5,
    ),
    "field": (lambda p: reverse("procedures:field", args=[p.field.slug]), {}, 3),
    "detail": (lambda p: p.get_absolute_url(), {}, 5),
}


@pytest.mark.parametrize("page_name", PAGES)
def test_query_count_is_constant_with_the_catalogue_size(
    client, page_name, django_assert_max_num_queries
):
    url_for, params, budget = PAGES[page_name]
    fields = [FieldFactory() for _ in range(8)]
    agencies = [AgencyFactory() for _ in range(4)]
    procedure = detailed_procedure(fields[0], agencies[0])
    bulk_procedures(9, fields=fields, agencies=agencies)
    url = url_for(procedure)

    with django_assert_max_num_queries(budget):
        small = count_queries(client, url, params)

    bulk_procedures(990, start=9, fields=fields, agencies=agencies)
    assert Procedure.objects.count() == 1000
    with django_assert_max_num_queries(budget):
        large = count_queries(client, url, params)

    assert large == small


# --- The catalogue in the reader's language ----------------------------------------------------


@pytest.fixture
def shipped(db):
    """The shipped catalogue (procedures/data/catalogue.json), complete in English."""
    load_catalogue()
    return {p.national_code: p for p in Procedure.objects.all()}


def _get(client, settings, url, language, params=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response


DETAIL_TEXTS = {
    # what the detail page of 1.004477 shows, by language: name, field, agency, step, condition,
    # component, component description, declared field, fee, result, legal basis
    "en": [
        "Issuance of a postal licence",
        "Postal services",
        "Department of Post",
        "Step 2: The one-stop desk checks that the dossier is complete and valid",
        "Holding an enterprise registration certificate; meeting the financial requirements",
        "Copy of the enterprise registration certificate or an equivalent document",
        "Using the prescribed form, signed by the legal representative.",
        "Enterprise code / tax code",
        "Fee for appraising the conditions for postal operations",
        "Postal licence (valid for up to 10 years)",
        "Law on Post No. 49/2010/QH12; Decree No. 47/2011/ND-CP",
    ],
    "vi": [
        "Cấp giấy phép bưu chính",
        "Bưu chính",
        "Vụ Bưu chính",
        "Bước 2: Bộ phận Một cửa kiểm tra tính đầy đủ, hợp lệ của hồ sơ",
        "Có giấy chứng nhận đăng ký doanh nghiệp; đáp ứng điều kiện tài chính",
        "Bản sao Giấy chứng nhận đăng ký doanh nghiệp hoặc giấy tờ tương đương",
        "Theo mẫu, do người đại diện theo pháp luật ký.",
        "Mã số doanh nghiệp/ mã số thuế",
        "Phí thẩm định điều kiện hoạt động bưu chính",
        "Giấy phép bưu chính (thời hạn tối đa 10 năm)",
        "Luật Bưu chính số 49/2010/QH12; Nghị định số 47/2011/NĐ-CP",
    ],
}


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_guidance_page_is_in_the_readers_language(client, settings, shipped, language):
    other = "vi" if language == "en" else "en"

    response = _get(client, settings, shipped["1.004477"].get_absolute_url(), language)

    page = text(response)
    for expected in DETAIL_TEXTS[language]:
        assert expected in page, expected
    for foreign in DETAIL_TEXTS[other][3:]:
        assert foreign not in page, foreign
    assert '<span lang="vi">' not in response.content.decode()  # nothing falls back


@pytest.mark.parametrize(
    ("language", "field", "postal", "press", "agency"),
    [
        (
            "en",
            "Postal services",
            "Issuance of a postal licence",
            "Issuance of a press card",
            "Authority of Press",
        ),
        ("vi", "Bưu chính", "Cấp giấy phép bưu chính", "Cấp thẻ nhà báo", "Cục Báo chí"),
    ],
)
def test_the_home_list_and_field_pages_are_in_the_readers_language(
    client, settings, shipped, language, field, postal, press, agency
):
    home = text(_get(client, settings, reverse("procedures:home"), language))
    catalogue = text(_get(client, settings, reverse("procedures:list"), language))
    field_page = text(
        _get(client, settings, reverse("procedures:field", args=["bao-chi"]), language)
    )

    assert f"{field} 5 " in home  # a field tile with its count
    assert postal in catalogue
    assert press in field_page and f"Agency: {agency}" in field_page.replace("Cơ quan:", "Agency:")
    other = {"Issuance of a press card", "Cấp thẻ nhà báo"} - {press}
    assert other.pop() not in field_page


def test_a_text_without_english_shows_in_vietnamese_marked_as_such(client, catalogue):
    # The fixture catalogue has English names for its agencies and fields only.
    procedure = catalogue["1.004477"]

    response = client.get(procedure.get_absolute_url())

    html = response.content.decode()
    assert f'<h1><span lang="vi">{POSTAL}</span></h1>' in html
    assert '<div lang="vi"><p>Có giấy chứng nhận đăng ký doanh nghiệp.</p></div>' in html
    assert '<li><span lang="vi">Bước 1: Nộp hồ sơ.</span></li>' in html
    assert '<span lang="vi">Department of Post (test)</span>' not in html
    assert "Department of Post (test)" in html


def test_a_catalogue_filter_option_without_english_is_marked(client, catalogue):
    Procedure.objects.filter(national_code="1.004477").update(is_published=True)
    agency = catalogue["1.004477"].agency
    agency.name_en = ""
    agency.save()

    html = client.get(reverse("procedures:list")).content.decode()

    assert f'<option value="{agency.code}" lang="vi">{agency.name}</option>' in html


def test_english_readers_find_a_procedure_by_its_english_name(client, settings, shipped):
    url = reverse("procedures:list")

    english = _get(client, settings, url, "en", {"q": "Press Card"})
    vietnamese_words = _get(client, settings, url, "en", {"q": "the nha bao"})
    field_page = _get(
        client, settings, reverse("procedures:field", args=["bao-chi"]), "en", {"q": "newsletter"}
    )

    assert listed(english) == ["Cấp thẻ nhà báo"]
    assert listed(vietnamese_words)[0] == "Cấp thẻ nhà báo"  # Vietnamese words still work
    assert listed(field_page) == ["Cấp giấy phép xuất bản bản tin"]


@pytest.mark.parametrize("query", ["the nha bao", "press card"])
def test_vietnamese_readers_search_the_vietnamese_names_only(client, settings, shipped, query):
    """The English names change nothing for Vietnamese readers: "the" (thẻ) must not match
    the English article in "... ensuring the security of ..."."""
    response = _get(client, settings, reverse("procedures:list"), "vi", {"q": query})

    assert listed(response) == (["Cấp thẻ nhà báo"] if query == "the nha bao" else [])


def test_the_agency_filter_is_in_the_readers_alphabetical_order(client, settings, shipped):
    def agencies(language) -> list[str]:
        html = _get(client, settings, reverse("procedures:list"), language).content.decode()
        select = html.split('id="filter-agency"', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="[A-Z]+"[^>]*>([^<]+)</option>', select)

    english, vietnamese = agencies("en"), agencies("vi")

    assert english == sorted(english, key=str.casefold)
    assert english[0] == "Authority of Broadcasting and Electronic Information"
    assert vietnamese[0] == "Cục An toàn thông tin"
