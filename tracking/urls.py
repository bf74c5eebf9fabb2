from django.urls import path

from . import views

app_name = "tracking"
urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("statistics/", views.statistics, name="statistics"),
]
