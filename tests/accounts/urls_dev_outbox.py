"""The portal's URLs with the development outbox mounted, as `make run` has them."""

from django.urls import path

from accounts import views
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    *portal_urlpatterns,
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
    path("dev/outbox/<int:pk>/", views.dev_outbox, name="dev_outbox_detail"),
]
