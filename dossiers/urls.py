from django.urls import path

from accounts import views as account_views

app_name = "dossiers"
urlpatterns = [
    path("", account_views.me, name="list"),
]
