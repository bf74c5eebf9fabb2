from django.db import connection

import pytest

from procedures.management.commands.load_catalogue import load_catalogue
from procedures.models import Procedure
from procedures.selectors import (
    agency_list_with_procedures,
    field_list_with_counts,
    procedure_detail,
    procedure_popular,
    procedure_search,
    query_words,
)

from .factories import AgencyFactory, FieldFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

POSTAL = "Cấp giấy phép bưu chính"


def names(qs) -> list[str]:
    return [p.name for p in qs]


def test_query_words_are_folded_deduplicated_and_bounded():
    assert query_words("  Giấy PHÉP, bưu chính! giấy ") == ["giay", "phep", "buu", "chinh"]
    assert query_words("Đăng ký") == ["dang", "ky"]
    assert query_words(None) == []
    assert len(query_words(" ".join(f"w{i}" for i in range(50)))) == 12


@pytest.mark.parametrize(
    "query",
    ["giay phep buu chinh", "GIAY PHEP BUU CHINH", "Giấy phép bưu chính", "buu chinh giay phep"],
)
def test_search_without_accents_finds_the_accented_name(catalogue, query):
    assert names(procedure_search(query=query))[0] == POSTAL


def test_every_word_must_match(catalogue):
    result = names(procedure_search(query="giay phep vien thong"))
    assert result == ["Cấp giấy phép thiết lập mạng viễn thông công cộng"]


def test_search_by_national_code(catalogue):
    assert names(procedure_search(query="1.004477")) == [POSTAL]


def test_exact_matches_are_ordered_by_popularity(catalogue):
    assert names(procedure_search(query="buu chinh")) == [
        POSTAL,  # popularity 90
        "Sửa đổi, bổ sung giấy phép bưu chính",  # popularity 40
    ]


def test_unpublished_procedures_are_never_found(catalogue):
    Procedure.objects.filter(national_code="1.004477").update(is_published=False)

    assert POSTAL not in names(procedure_search(query="giay phep buu chinh"))
    assert POSTAL not in names(procedure_search())
    assert POSTAL not in names(procedure_popular())


def test_field_agency_and_level_filters(catalogue):
    assert set(names(procedure_search(field="buu-chinh"))) == {
        POSTAL,
        "Sửa đổi, bổ sung giấy phép bưu chính",
    }
    assert names(procedure_search(agency="tvt")) == [
        "Cấp giấy phép thiết lập mạng viễn thông công cộng"
    ]
    assert names(procedure_search(level="partial")) == ["Sửa đổi, bổ sung giấy phép bưu chính"]
    assert names(procedure_search(query="giay phep", field="vien-thong", level="full")) == [
        "Cấp giấy phép thiết lập mạng viễn thông công cộng"
    ]


def test_unknown_filter_values_match_nothing(catalogue):
    assert not procedure_search(level="bogus").exists()
    assert not procedure_search(field="khong-co").exists()
    assert not procedure_search(agency="NOPE").exists()


def test_field_counts_only_published_procedures_in_one_query(catalogue, django_assert_num_queries):
    Procedure.objects.filter(national_code="1.004470").update(is_published=False)
    empty = FieldFactory(name="Lĩnh vực trống")

    with django_assert_num_queries(1):
        counts = {f.slug: f.procedure_count for f in field_list_with_counts()}

    assert counts == {"buu-chinh": 1, "vien-thong": 1, empty.slug: 0}
    assert empty.slug not in {f.slug for f in field_list_with_counts(only_used=True)}


def test_detail_of_unpublished_is_404_unless_previewing(catalogue):
    from django.http import Http404

    Procedure.objects.filter(slug="1-004477").update(is_published=False)
    with pytest.raises(Http404):
        procedure_detail(slug="1-004477")
    guidance = procedure_detail(slug="1-004477", include_unpublished=True)
    assert guidance.procedure.name == POSTAL


def test_field_and_agency_lists_are_cached_until_the_catalogue_changes(
    catalogue, django_assert_num_queries
):
    field_list_with_counts()
    agency_list_with_procedures()
    with django_assert_num_queries(0):
        counts = {f.slug: f.procedure_count for f in field_list_with_counts()}
        agencies = [a.code for a in agency_list_with_procedures()]
    assert counts == {"buu-chinh": 2, "vien-thong": 1}

    new_agency = AgencyFactory(name="Đơn vị mới")  # saving an agency alone changes the version
    ProcedureFactory(field=catalogue["1.004477"].field, agency=new_agency)

    assert {f.slug: f.procedure_count for f in field_list_with_counts()}["buu-chinh"] == 3
    assert [a.code for a in agency_list_with_procedures()] != agencies
    assert new_agency.code in [a.code for a in agency_list_with_procedures()]


def test_unpublishing_through_save_or_reloading_the_catalogue_invalidates_the_cache(catalogue):
    field_list_with_counts(only_used=True)
    procedure = catalogue["1.004470"]
    procedure.is_published = False
    procedure.save()
    assert {f.slug: f.procedure_count for f in field_list_with_counts()}["buu-chinh"] == 1

    # A bulk write sends no signal; the loader says the catalogue changed itself.
    Procedure.objects.filter(pk=procedure.pk).update(is_published=True)
    assert {f.slug: f.procedure_count for f in field_list_with_counts()}["buu-chinh"] == 1
    from .conftest import FIXTURE

    load_catalogue(FIXTURE)
    assert {f.slug: f.procedure_count for f in field_list_with_counts()}["buu-chinh"] == 2


# --- PostgreSQL: typo tolerance and the trigram index ------------------------------------------


@pytest.mark.parametrize(
    "query", ["buu chnh", "giay phep buu chnh", "giay phepp buu chinh", "phepp giay buu"]
)
def test_typos_still_find_the_procedure_on_postgresql(postgres, catalogue, query):
    assert names(procedure_search(query=query))[0] == POSTAL


def test_exact_matches_rank_before_typo_matches_on_postgresql(postgres):
    agency, field = AgencyFactory(), FieldFactory()
    fuzzy = ProcedureFactory(name="Cấp giấy phép bưu chín", field=field, agency=agency)
    exact = ProcedureFactory(name="Cấp giấy phép bưu chính", field=field, agency=agency)
    fuzzy.popularity = 1000
    fuzzy.save()

    result = list(procedure_search(query="buu chinh"))

    assert result[0] == exact
    assert fuzzy in result


def test_trigram_index_and_extensions_exist_on_postgresql(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'procedures_procedure_search_trgm'"
        )
        (indexdef,) = cursor.fetchone()
    assert {"pg_trgm", "unaccent"} <= extensions
    assert "gin" in indexdef.lower()
    assert "gin_trgm_ops" in indexdef


def test_typo_free_queries_give_the_same_results_on_every_database(db):
    """On PostgreSQL the exact matches come first, in exactly the SQLite order."""
    from django.db.models import Q

    from procedures.management.commands.load_catalogue import DEFAULT_PATH, load_catalogue

    if not DEFAULT_PATH.exists():
        pytest.skip("the shipped catalogue is not there yet")
    load_catalogue()
    for query in ["giay phep", "buu chinh", "tan so", "vien thong", "chu ky so", "cap lai"]:
        exact = Procedure.objects.published()
        for word in query.split():
            exact = exact.filter(Q(search_text__contains=word))
        expected = list(exact.order_by("-popularity", "name"))
        assert expected, query
        assert list(procedure_search(query=query))[: len(expected)] == expected, query


def test_approximate_matches_do_not_swamp_a_precise_query_on_postgresql(postgres):
    agency, field = AgencyFactory(), FieldFactory()
    wanted = ProcedureFactory(
        name="Cấp giấy phép kinh doanh sản phẩm an toàn thông tin mạng",
        national_code="1.004477",
        field=field,
        agency=agency,
    )
    ProcedureFactory(
        name="Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp", field=field, agency=agency
    )

    assert list(procedure_search(query="an toan thong tin")) == [wanted]
    # Codes are never approximate: a neighbouring code is another procedure.
    assert list(procedure_search(query="1.004478")) == []
    assert list(procedure_search(query="1.00447")) == [wanted]


def test_a_query_that_fills_a_page_skips_the_typo_matching_on_postgresql(postgres):
    from .conftest import bulk_procedures

    bulk_procedures(25)

    common = procedure_search(query="thu tuc hang loat", page_size=20)
    rare = procedure_search(query="thu tuc hang loat so 7", page_size=20)

    assert "similarity" not in str(common.query).lower()
    assert common.count() == 25
    assert "similarity" in str(rare.query).lower()
    assert names(rare)[:2] == ["Thủ tục hàng loạt số 17", "Thủ tục hàng loạt số 7"]


def test_detail_reads_each_part_of_the_procedure_in_its_order(catalogue, django_assert_num_queries):
    procedure = Procedure.objects.get(slug="1-004477")
    # Reorder the parts against their ids: the page must follow `order`, then the id.
    for part in (procedure.steps, procedure.components, procedure.form_fields, procedure.fees):
        rows = list(part.order_by("id"))
        for position, row in enumerate(reversed(rows)):
            type(row).objects.filter(pk=row.pk).update(order=position)
    other = Procedure.objects.exclude(pk=procedure.pk).first()

    with django_assert_num_queries(5):
        guidance = procedure_detail(slug="1-004477")

    assert guidance.procedure == procedure
    assert guidance.procedure.agency.pk == procedure.agency_id  # read with the procedure
    for shown, part in (
        (guidance.steps, procedure.steps),
        (guidance.components, procedure.components),
        (guidance.form_fields, procedure.form_fields),
        (guidance.fees, procedure.fees),
    ):
        assert len(shown) > 1
        assert [row.pk for row in shown] == [row.pk for row in part.order_by("order", "id")]
        assert all(row.procedure_id == procedure.pk for row in shown)
        assert other is None or not any(row.procedure_id == other.pk for row in shown)
    assert guidance.total_fee == sum(fee.amount for fee in procedure.fees.all())
