"""The floor: a minimal Django lookup page on the benchmark's database.

The settings of `django-admin startproject` (its middleware, the Django template engine with
the cached loader that DEBUG off implies) without the admin, plus the two things a fair floor
shares with the portal: the same PostgreSQL database (`DATABASE_URL`, the `bench` database) and
persistent connections (`CONN_MAX_AGE`, the portal's 60 s default).
"""

import os
from pathlib import Path

import environ

SECRET_KEY = "benchmark-reference-lookup-not-secret"  # noqa: S105 (loopback benchmark only)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "benchmarks.reference.lookup.urls"
WSGI_APPLICATION = "benchmarks.reference.lookup.wsgi.application"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "benchmarks.reference.lookup",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
DATABASES = {
    "default": environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
BASE_DIR = Path(__file__).resolve().parent
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
