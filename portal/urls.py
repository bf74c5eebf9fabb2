from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views

from . import health, views

urlpatterns = [
    path("", include("procedures.urls")),
    path("", include("tracking.urls")),
    path("", include("signing.urls")),
    path("me/dossiers/", include("dossiers.urls")),
    path("me/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("payments/", include("payments.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/<str:lang>/", views.set_language_get, name="set_language_get"),
]
if settings.SANDBOX_BANK_ENABLED:
    urlpatterns.append(path("sandbox-bank/", include("payments_sandbox.urls")))
if settings.DEV_OUTBOX_ENABLED:
    urlpatterns += [
        path("dev/outbox/", account_views.dev_outbox, name="dev_outbox"),
        path("dev/outbox/<int:pk>/", account_views.dev_outbox, name="dev_outbox_detail"),
    ]

# A database outage answers a translated 503 page rather than a bare 500 (portal/views.py).
handler500 = "portal.views.server_error"

admin.site.site_header = "Cổng Dịch vụ công — Quản trị"
admin.site.site_title = "Cổng Dịch vụ công"
