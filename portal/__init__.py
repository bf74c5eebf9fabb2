"""Project package: settings, URLs, Celery app and shared template tags."""

from .celery import app as celery_app

__all__ = ("celery_app",)
