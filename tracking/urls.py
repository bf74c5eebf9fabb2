from django.urls import path

from . import views

app_name = "tracking"
urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/history/", views.history, name="history"),
    path("lookup/rate/<int:dossier_id>/", views.rate, name="rate"),
    path("statistics/", views.statistics, name="statistics"),
]
