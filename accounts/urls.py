from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.me, name="me"),
    path("profile/", views.profile_edit, name="profile"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    # Opened before the officer can sign in: the one-time link of a staff invitation.
    path("invitation/<str:token>/", views.staff_invitation, name="staff_invitation"),
]
