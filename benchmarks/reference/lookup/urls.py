"""One page: `/lookup/?code=…`, a dossier by its code and its first ten public events."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .models import Dossier, DossierEvent


def lookup(request: HttpRequest) -> HttpResponse:
    try:
        dossier = Dossier.objects.get(code=request.GET.get("code", ""))
    except Dossier.DoesNotExist as exc:
        raise Http404("no such dossier") from exc
    events = DossierEvent.objects.filter(dossier_id=dossier.pk, is_public=True).order_by(
        "created_at"
    )[:10]
    return render(request, "reference_lookup/lookup.html", {"dossier": dossier, "events": events})


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [path("lookup/", lookup), path("bench/hello", hello)]
