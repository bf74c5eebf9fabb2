"""Public pages of the procedure catalogue: home, list and search, field pages, guidance, templates."""

import posixpath

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from core.cache import anonymous_page_cache, do_not_store

from .cache import catalogue_tags
from .constants import ServiceLevel
from .i18n import SOURCE_LANGUAGE, reader_language
from .models import Field
from .selectors import (
    agency_list_with_procedures,
    component_template,
    field_list_with_counts,
    procedure_detail,
    procedure_popular,
    procedure_search,
)

PAGE_SIZE = 20
# Anonymous visitors' pages are kept this long at most; a catalogue change drops them at once.
PAGE_CACHE_SECONDS = 300


def _param(request: HttpRequest, name: str, max_length: int = 200) -> str:
    return request.GET.get(name, "").strip()[:max_length]


def _paged(response: HttpResponse, request: HttpRequest, page) -> HttpResponse:
    """A page number that is not the page shown (`?page=999` shows the last) is not stored:
    endless numbers must not fill the cache with copies of one page."""
    asked = request.GET.get("page")
    if asked is not None and asked != str(page.number):
        return do_not_store(response)
    return response


@require_safe
@anonymous_page_cache(PAGE_CACHE_SECONDS, tags=catalogue_tags)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "procedures/home.html",
        {
            "fields": field_list_with_counts(only_used=True),
            "popular": procedure_popular(limit=8),
        },
    )


def _agencies_in_reader_order() -> list:
    """The agency filter's list, alphabetical in the reader's language (the cached list is in
    the database's order of the Vietnamese names)."""
    agencies = agency_list_with_procedures()
    if reader_language() == SOURCE_LANGUAGE:
        return agencies
    return sorted(agencies, key=lambda agency: agency.display_name.casefold())


@require_safe
@anonymous_page_cache(
    PAGE_CACHE_SECONDS, params=("q", "field", "agency", "level", "page"), tags=catalogue_tags
)
def procedure_list(request: HttpRequest) -> HttpResponse:
    """The catalogue: `?q=` search, `?field=`, `?agency=`, `?level=` filters, 20 per page."""
    query = _param(request, "q")
    field = _param(request, "field", 80)
    agency = _param(request, "agency", 8)
    level = _param(request, "level", 10)
    results = procedure_search(
        query=query, field=field, agency=agency, level=level, page_size=PAGE_SIZE
    )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    fields = field_list_with_counts()
    response = render(
        request,
        "procedures/procedure_list.html",
        {
            "page": page,
            "procedures": page.object_list,
            "query": query,
            "selected_field": field,
            "selected_agency": agency.upper(),
            "selected_level": level,
            "current_field": next((f for f in fields if f.slug == field), None),
            "fields": fields,
            "agencies": _agencies_in_reader_order(),
            "levels": ServiceLevel.choices,
            "filtered": bool(query or field or agency or level),
        },
    )
    return _paged(response, request, page)


@require_safe
@anonymous_page_cache(PAGE_CACHE_SECONDS, params=("q", "page"), tags=catalogue_tags)
def field_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A field (lĩnh vực) and its published procedures, searchable within the field."""
    field = get_object_or_404(Field, slug=slug)
    query = _param(request, "q")
    results = procedure_search(query=query, field=field.slug, page_size=PAGE_SIZE)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "procedures/field_detail.html",
        {"field": field, "page": page, "procedures": page.object_list, "query": query},
    )
    return _paged(response, request, page)


def _can_preview(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm("procedures.change_procedure")


@require_safe
@anonymous_page_cache(PAGE_CACHE_SECONDS, tags=catalogue_tags)
def procedure_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    """All the guidance a citizen reads before applying; staff may preview unpublished ones."""
    guidance = procedure_detail(slug=slug, include_unpublished=_can_preview(request))
    return render(
        request,
        "procedures/procedure_detail.html",
        {"procedure": guidance.procedure, "guidance": guidance},
    )


@require_safe
def component_template_download(request: HttpRequest, slug: str, component_id: int) -> FileResponse:
    """Stream a component's template file (mẫu đơn, tờ khai) through the storage API."""
    component = component_template(slug=slug, component_id=component_id)
    try:
        handle = component.template.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("template file missing") from exc
    return FileResponse(
        handle, as_attachment=True, filename=posixpath.basename(component.template.name or "")
    )
