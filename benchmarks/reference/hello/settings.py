"""The ceiling: a Django project with default settings, no middleware, one view."""

SECRET_KEY = "benchmark-reference-hello-not-secret"  # noqa: S105 (loopback benchmark only)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "benchmarks.reference.hello.urls"
WSGI_APPLICATION = "benchmarks.reference.hello.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
