from django.urls import path

from . import views

app_name = "dossiers"
urlpatterns = [
    path("", views.dossier_list, name="list"),
    path("new/<slug:slug>/", views.dossier_create, name="create"),
    path("<int:pk>/", views.dossier_detail, name="detail"),
    path("<int:pk>/edit/", views.dossier_edit, name="edit"),
    path("<int:pk>/supplement/", views.dossier_supplement, name="supplement"),
    path("<int:pk>/withdraw/", views.dossier_withdraw, name="withdraw"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_download, name="file"),
    path("<int:pk>/result/", views.result_download, name="result"),
    path("<int:pk>/slips/<str:kind>/", views.slip_download, name="slip"),
    path("<int:pk>/apology/<int:letter_id>/", views.apology_download, name="apology"),
    path("<int:pk>/stop-notice/", views.stop_notice_download, name="stop_notice"),
]
