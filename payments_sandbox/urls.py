"""The sandbox bank, mounted at /sandbox-bank/ only when SANDBOX_BANK_ENABLED (never in production)."""

from django.urls import path

from . import views

app_name = "sandbox_bank"
urlpatterns = [
    path("pay", views.pay, name="pay"),
    path("txn/<uuid:token>/bank/", views.choose_bank, name="choose_bank"),
    path("txn/<uuid:token>/card/", views.card, name="card"),
    path("api/transaction", views.api_transaction, name="api_transaction"),
]
