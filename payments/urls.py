from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("dossier/<int:dossier_id>/", views.dossier_payment, name="dossier"),
    path("notice/<int:fee_notice_id>/receipt/", views.receipt_upload, name="receipt_upload"),
    path("notice/<int:fee_notice_id>/online/", views.online_start, name="online_start"),
    path("<int:payment_id>/confirmation.pdf", views.confirmation_pdf, name="confirmation_pdf"),
    path("<int:payment_id>/receipt/", views.receipt_file, name="receipt_file"),
    # Fixed addresses registered with the gateway: never change them.
    path("vnpay/return/", views.vnpay_return, name="vnpay_return"),
    path("vnpay/ipn/", views.vnpay_ipn, name="vnpay_ipn"),
]
