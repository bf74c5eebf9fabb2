from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lookup(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/lookup.html")


def statistics(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/statistics.html")
