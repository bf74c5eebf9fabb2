from django.urls import path

from . import views

app_name = "procedures"
urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/", views.procedure_list, name="list"),
    path("procedures/field/<slug:slug>/", views.field_detail, name="field"),
    path("procedures/<slug:slug>/", views.procedure_detail_view, name="detail"),
    path(
        "procedures/<slug:slug>/templates/<int:component_id>/",
        views.component_template_download,
        name="template",
    ),
]
