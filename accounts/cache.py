"""The page-cache tags accounts' models move (core/cache.py), declared in this one place.

A user's row, groups, permissions and second factor also drop the cached signed-in user, so
those are wired in accounts/signals.py through `backends.user_changed`, which moves the same
user tag.
"""

from core.cache import tags_moved_by, user_tag

from .models import Notification

# Every private page shows its user's unread notifications.
tags_moved_by(Notification, tags=lambda notification: [user_tag(notification.user_id)])
