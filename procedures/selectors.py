"""Reads of the procedure catalogue shared by the public pages (and by other apps).

Every selector returns a queryset, list or object whose page costs a constant number of queries,
whatever the size of the catalogue. The small lists shown on every page are cached until the
catalogue changes (procedures/cache.py).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, FloatField, Q, Value, When
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .cache import CATALOGUE_CACHE_SECONDS, catalogue_cache_key, catalogue_version
from .constants import ServiceLevel
from .i18n import reader_language
from .models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureQuerySet,
    ProcedureStep,
    ProcessStep,
    Unit,
)
from .search import fold

# Agencies and units by id (only their names loaded), per catalogue version, in this process.
_NAMES: dict[str, dict[str, dict]] = {}


def catalogue_names(request: HttpRequest | None = None) -> dict[str, dict]:
    """Every agency and unit by id, `{"agency": {id: Agency}, "unit": {id: Unit}}`, with only
    their names: what a dossier's history names (accounts.messages `known=`).

    There are a few hundred at most and they change only with the catalogue (a unit's edit
    moves its tag too), so each process keeps them by catalogue version; given the request,
    the version its page cache already read is used (no Redis round trip). The instances are
    shared: read them, never change them."""
    version = catalogue_version(request)
    names = _NAMES.get(version)
    if names is None:
        names = {
            "agency": Agency.objects.only("id", "name", "name_en").in_bulk(),
            "unit": Unit.objects.only("id", "name", "name_en").in_bulk(),
        }
        if len(_NAMES) >= 8:  # a few versions in a process's life; never grows without bound
            _NAMES.clear()
        _NAMES[version] = names
    return names


# A query longer than this is cut: nobody types a procedure name that long, and every word costs
# one more LIKE.
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
# Shorter words are matched exactly only: a typo in two or three letters is another word.
MIN_FUZZY_WORD = 4
# A whole query is close enough to a name above this word similarity: "buu chnh" (0.67) finds
# "bưu chính", "an toan thong tin" (0.6) does not find every "... thong tin ...".
PHRASE_SIMILARITY = 0.65
# Typo-tolerant matching is added only when the exact words find fewer procedures than this
# (one page of the catalogue list).
FUZZY_BELOW = 20
# What a procedure card in a list shows (procedures/includes/procedure_card.html).
LIST_COLUMNS = (
    "slug",
    "national_code",
    "name",
    "name_en",
    "service_level",
    "is_sample",
    "popularity",
    "field__name",
    "field__name_en",
    "field__slug",
    "agency__name",
    "agency__name_en",
    "agency__code",
)


def query_words(query: str | None) -> list[str]:
    """The folded words of a search query: "Giấy  phép Bưu-chính" -> ["giay", "phep", "buu-chinh"]."""
    folded = fold((query or "")[:MAX_QUERY_CHARS])
    words = []
    for word in folded.split():
        word = word.strip(",;:!?\"'()[]")
        if word and word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


def procedure_search(
    *,
    query: str | None = None,
    field: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    page_size: int = FUZZY_BELOW,
) -> ProcedureQuerySet:
    """Published procedures matching a query typed with or without Vietnamese accents.

    `field` is a field slug, `agency` an agency code, `level` "full" or "partial"; unknown
    values match nothing rather than being ignored. Every folded query word must appear in the
    folded name or national code; for an English reader, every word may instead appear in the
    folded English name ("press card"). On PostgreSQL, when fewer than `page_size` procedures match
    that way, a word may instead be close to one there (trigram word similarity), so small
    typos still find the procedure, ranked after exact matches. Without a query the catalogue
    order (field, name) is kept; with one, exact matches by popularity, then approximate ones
    by similarity. The rows carry only what a list shows (the long texts are deferred).
    """
    qs = Procedure.objects.published().select_related("field", "agency").only(*LIST_COLUMNS)
    if field:
        qs = qs.filter(field__slug=field)
    if agency:
        qs = qs.filter(agency__code=agency.upper())
    if level:
        qs = qs.filter(service_level=level if level in ServiceLevel.values else "")

    words = query_words(query)
    if not words:
        return qs
    # search_text is already folded to lower case, so plain LIKE (which the trigram GIN index
    # serves on PostgreSQL) is enough.
    exact = Q()
    for word in words:
        exact &= Q(search_text__contains=word)
    if reader_language() == "en":
        english = Q()
        for word in words:
            english &= Q(search_text_en__contains=word)
        exact |= english
    exact_qs = qs.filter(exact).order_by("-popularity", "name")

    if connection.vendor != "postgresql":
        return exact_qs
    # The fuzzy conditions below cannot use the index as well as the plain words do and rank
    # every row by similarity: pay for them only when the exact words fill less than a page
    # (a typo, or a rare name), never for a common query such as "giay phep".
    if exact_qs[:page_size].count() >= page_size:
        return exact_qs

    from django.contrib.postgres.search import TrigramWordSimilarity

    # Typos, with pg_trgm's word similarity (the `%>` operator, above
    # pg_trgm.word_similarity_threshold = 0.6, is served by the GIN trigram index). Codes such as
    # 1.004477 are never matched approximately.
    codes = [w for w in words if any(ch.isdigit() for ch in w)]
    phrase = " ".join(w for w in words if w not in codes)
    # Either every word appears or is close to a word that does ("phepp" ~ "phep")...
    approximate = Q()
    for word in words:
        close = Q(search_text__contains=word)
        if len(word) >= MIN_FUZZY_WORD and word not in codes:
            close |= Q(search_text__trigram_word_similar=word)
        approximate &= close
    # ... or the words together are close to a run of the name ("buu chnh" ~ "buu chinh").
    if phrase:
        close_phrase = Q(search_text__trigram_word_similar=phrase) & Q(
            similarity__gte=PHRASE_SIMILARITY
        )
        for code in codes:
            close_phrase &= Q(search_text__contains=code)
        approximate |= close_phrase
    else:
        phrase = " ".join(words)
    qs = qs.annotate(similarity=TrigramWordSimilarity(phrase, "search_text"))
    return (
        # `exact` adds the English matches (the approximate words look in the Vietnamese only).
        qs.filter(approximate | exact)
        # Exact matches first, in the same order as on SQLite; then the closest approximate ones.
        .annotate(
            rank=Case(
                When(exact, then=Value(2.0)),
                default="similarity",
                output_field=FloatField(),
            )
        )
        .order_by("-rank", "-popularity", "name")
    )


def field_list_with_counts(*, only_used: bool = False) -> list[Field]:
    """Fields in display order, each with `procedure_count` of its published procedures.

    Shown on most public pages, so kept in the cache until the catalogue changes (at most
    CATALOGUE_CACHE_SECONDS); one query on a miss, none on a hit.
    """
    key = catalogue_cache_key("fields", "used" if only_used else "all")
    fields = cache.get(key)
    if fields is None:
        qs = Field.objects.annotate(
            procedure_count=Count("procedures", filter=Q(procedures__is_published=True))
        ).order_by("order", "name")
        if only_used:
            qs = qs.filter(procedure_count__gt=0)
        fields = list(qs)
        cache.set(key, fields, CATALOGUE_CACHE_SECONDS)
    return fields


def agency_list_with_procedures() -> list[Agency]:
    """Agencies that receive at least one published procedure, for the list filter (cached)."""
    key = catalogue_cache_key("agencies")
    agencies = cache.get(key)
    if agencies is None:
        agencies = list(
            Agency.objects.filter(procedures__is_published=True)
            .distinct()
            .order_by("name")
            .only("code", "name", "name_en")
        )
        cache.set(key, agencies, CATALOGUE_CACHE_SECONDS)
    return agencies


def procedure_popular(*, limit: int = 8) -> list[Procedure]:
    """The most-used published procedures, most popular first."""
    return list(
        Procedure.objects.published()
        .select_related("field", "agency")
        .order_by("-popularity", "name")[:limit]
    )


@dataclass(frozen=True)
class ProcedureGuidance:
    """What a procedure's guidance page shows: the procedure (with its field and agency) and
    its parts, each in its order."""

    procedure: Procedure
    steps: list[ProcedureStep]
    components: list[DossierComponent]
    form_fields: list[FormField]
    fees: list[Fee]

    @property
    def total_fee(self) -> int:
        return sum(fee.amount for fee in self.fees)


# A procedure's parts, in their `Meta.ordering`. Hand-written raw querysets (model instances,
# as the template expects): for these four small reads on every uncached guidance page,
# building the `prefetch_related` querysets cost several times more CPU than running them.
_PARTS_SQL = {
    # A model's own table name (never a caller's value), quoted as the ORM quotes it.
    model: f'SELECT * FROM "{model._meta.db_table}" WHERE procedure_id = %s ORDER BY "order", id'  # noqa: S608  # nosec B608 # a model's table
    for model in (ProcedureStep, DossierComponent, FormField, Fee)
}


def _parts[M: (ProcedureStep, DossierComponent, FormField, Fee)](
    model: type[M], procedure: Procedure
) -> list[M]:
    return list(model.objects.raw(_PARTS_SQL[model], [procedure.pk]))


def procedure_detail(*, slug: str, include_unpublished: bool = False) -> ProcedureGuidance:
    """One procedure with everything its guidance page shows, in five queries.

    Raises Http404 when there is no such procedure or it is unpublished (unless
    `include_unpublished`, for staff previews).
    """
    qs = Procedure.objects.all() if include_unpublished else Procedure.objects.published()
    procedure = get_object_or_404(qs.select_related("field", "agency"), slug=slug)
    return ProcedureGuidance(
        procedure=procedure,
        steps=_parts(ProcedureStep, procedure),
        components=_parts(DossierComponent, procedure),
        form_fields=_parts(FormField, procedure),
        fees=_parts(Fee, procedure),
    )


def component_template(*, slug: str, component_id: int) -> DossierComponent:
    """A published procedure's component that has a template file; Http404 otherwise."""
    return get_object_or_404(
        DossierComponent.objects.select_related("procedure").exclude(template=""),
        pk=component_id,
        procedure__slug=slug,
        procedure__is_published=True,
    )


def process_for(procedure: Procedure) -> list[ProcessStep]:
    """The internal process (quy trình nội bộ) a procedure's dossiers follow, in order: the
    procedure's own steps, or its agency's default process when it has none (one query)."""
    steps = list(
        ProcessStep.objects.filter(
            Q(procedure_id=procedure.pk) | Q(agency_id=procedure.agency_id, procedure=None)
        )
        .select_related("unit")
        .order_by("order", "id")
    )
    own = [step for step in steps if step.procedure_id == procedure.pk]
    return own or [step for step in steps if step.procedure_id is None]
