"""Settings for Cổng Dịch vụ công.

Every value comes from the environment (see `.env.example` and the README). The defaults are the
embedded development set-up: SQLite, local private file storage, Celery running tasks eagerly,
console email. `DJANGO_PRODUCTION=true` switches on every `check --deploy` setting.
"""

from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core --------------------------------------------------------------------------------------
PRODUCTION = env.bool("DJANGO_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default=""
    if PRODUCTION
    else "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base of links in emails and QR codes (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The portal's public name; the agency contacts shown in the footer.
PORTAL_NAME = env.str("PORTAL_NAME", default="Cổng Dịch vụ công")
PORTAL_CONTACT_EMAIL = env.str("PORTAL_CONTACT_EMAIL", default="motcua@example.gov.vn")
PORTAL_CONTACT_PHONE = env.str("PORTAL_CONTACT_PHONE", default="024 3943 7147")
PORTAL_CONTACT_ADDRESS = env.str(
    "PORTAL_CONTACT_ADDRESS", default="18 Nguyễn Du, Hai Bà Trưng, Hà Nội"
)
# The contacts above are the shipped sample ones: the footer marks them "Sample data" (translated).
PORTAL_CONTACT_IS_SAMPLE = env.bool("PORTAL_CONTACT_IS_SAMPLE", default=True)

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",  # django.contrib.admin, with labelled autocompletes
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "accounts",
    "signing",
    "procedures",
    "dossiers",
    "payments",
    "tracking",
]
# The sandbox bank (a stand-in VNPay gateway for development, tests and demos) is an app of its
# own: installed, migrated and mounted at /sandbox-bank/ only when enabled, so production has
# neither its pages nor its table. Never in production (system check payments.E001).
SANDBOX_BANK_ENABLED = env.bool("SANDBOX_BANK_ENABLED", default=not PRODUCTION)
if SANDBOX_BANK_ENABLED:
    INSTALLED_APPS.append("payments_sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A restarted PostgreSQL must not break the next request: check persistent connections first.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# Server-side parameter binding (psycopg 3), so that a query run 5 times on a
# connection becomes a prepared statement: PostgreSQL then parses and plans the public pages'
# few query shapes once per connection (persistent, CONN_MAX_AGE) instead of on every request.
# Off behind a pooler that cannot keep prepared statements (PgBouncer < 1.21, transaction mode).
if IS_POSTGRES and env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded database is served by several threads at once (runserver, gunicorn --threads).
    # WAL lets readers go on beside the one writer; IMMEDIATE takes the write lock when a
    # transaction begins, so a second writer waits its turn (up to the busy timeout, in seconds)
    # instead of failing with "database is locked" halfway through, as a deferred upgrade does.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )

# --- Cache and Celery --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
            # Redis down: every call fails open, and these rate-limit keys (core/ratelimit.py,
            # allauth's) are counted in each process meanwhile (core/redis_cache.py).
            "LOCAL_WHEN_DOWN": ["ratelimit:", "allauth:rl:"],
            # A Redis that does not answer costs a request one second at most.
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without Redis, tasks run eagerly; the in-memory broker only names a host so kombu does not warn.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
# Without a broker, tasks run in-process right away (after commit), so nothing needs a server.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# Several portals (or test runs) can share one Redis with their own queue names.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when Redis is down: the outbox sweep delivers later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "accounts.tasks.outbox_sweep", "schedule": 60.0},
    "payments-reconcile": {"task": "payments.tasks.payments_reconcile", "schedule": 300.0},
    "supplement-deadlines": {
        "task": "dossiers.tasks.supplement_deadline_sweep",
        "schedule": 3600.0,
    },
    "step-deadlines": {"task": "dossiers.tasks.step_deadline_sweep", "schedule": 3600.0},
}

# --- Email -------------------------------------------------------------------------------------
# EMAIL_URL: "consolemail://" (default), "smtp://user:pass@host:25", "smtp+tls://…:587",
# "smtp+ssl://…:465". Mapped onto Django's MAILERS.
_email = env.email_url("EMAIL_URL", default="consolemail://")
_email_options = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _email_options = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": int(_email.get("EMAIL_PORT") or 25),
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        # Seconds before a silent mail server counts as down. Django's EMAIL_TIMEOUT setting
        # cannot sit beside MAILERS, so the variable of that name lands here.
        "timeout": env.float("EMAIL_TIMEOUT", default=5.0),
    }
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Cổng Dịch vụ công <no-reply@example.gov.vn>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Development only: every queued email can be read at /dev/outbox/.
DEV_OUTBOX_ENABLED = env.bool("DEV_OUTBOX_ENABLED", default=DEBUG and not PRODUCTION)

# --- Files -------------------------------------------------------------------------------------
# Private files: never served from a public URL; only through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# No route serves this prefix (and the storage has no base URL): private files are reached only
# through permission-checked views. A string (not None) keeps Django's test live server working.
MEDIA_URL = "/private-media-is-never-served/"
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    _private = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY", default=""),
            "secret_key": env.str("S3_SECRET_KEY", default=""),
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "default_acl": "private",
            # Files are streamed through permission-checked views; a bucket link, if one is
            # ever made, is signed (SigV4, as MinIO and every AWS region accept) for 2 minutes.
            "querystring_auth": True,
            "querystring_expire": 120,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    _private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": _private,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, gunicorn serves static files straight from the source folders (no
# collectstatic step); production images run collectstatic at build time.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
# Uploads larger than this are streamed to a temporary file, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)
UPLOAD_MAX_SIZE_MB = env.int("UPLOAD_MAX_SIZE_MB", default=50)
UPLOAD_MAX_FILES_PER_COMPONENT = env.int("UPLOAD_MAX_FILES_PER_COMPONENT", default=10)
# Optional virus scanning of every upload by clamd: "tcp://127.0.0.1:3310" or
# "unix:///run/clamav/clamd.ctl"; empty = off. When on, an unreachable clamd refuses uploads.
CLAMD_URL = env.str("CLAMD_URL", default="")
CLAMD_TIMEOUT = env.float("CLAMD_TIMEOUT", default=30.0)

# --- Accounts (django-allauth) -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, reading the signed-in user from the cache (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "accounts:me"
LOGIN_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Cổng DVC] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Adding, removing or choosing the primary email address asks for the password (or the second
# factor) again, within REAUTHENTICATION_TIMEOUT of the last time it was given.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/key,10/5m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cong DVC"
# Staff and superusers open no page that shows agency data (the admin, a dossier's files,
# slips and result, payments) before they turn on TOTP (accounts/middleware.py).
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=True)
# Staff accounts are claimed through an emailed one-time invitation, valid this many hours.
STAFF_INVITATION_HOURS = env.int("STAFF_INVITATION_HOURS", default=72)
# The only pages, besides allauth's own account pages, that staff reach without TOTP: they show
# what the public sees, or are the way to enrol. A new page is guarded unless it is named here.
STAFF_SECOND_FACTOR_EXEMPT_VIEWS = frozenset(
    {
        "procedures:home",
        "procedures:list",
        "procedures:field",
        "procedures:detail",
        "procedures:template",
        "tracking:lookup",
        "tracking:history",
        "tracking:statistics",
        "signing:verify",
        "signing:verify_reference",
        "healthz",
        "set_language",
        "set_language_get",
        "admin_login",
        "accounts:staff_invitation",
    }
)

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# Our catalogue first; then Vietnamese for django-allauth, which ships none.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "portal" / "vendor_locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# One date and one date-time format per language, day first in both (portal/formats/<lang>/).
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Sessions are read from the cache (Redis when configured) and written through to the database:
# a signed-in page no longer costs a session query, and a cache flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF, *env.list("CSP_FORM_ACTION_EXTRA", default=[])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto (see README).
if env.bool("BEHIND_TLS_PROXY", default=PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For; 0 means use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth's sign-in, sign-up and password-reset limits count per client behind the same proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Domain ------------------------------------------------------------------------------------
# Public lookups per client address and window (seconds).
LOOKUP_RATE_LIMIT = env.int("LOOKUP_RATE_LIMIT", default=20)
LOOKUP_RATE_WINDOW = env.int("LOOKUP_RATE_WINDOW", default=60)
# The public verification page (/verify/): checks per client address per window (seconds), each
# may fetch revocation data; the largest PDF it accepts (never stored).
VERIFY_RATE_LIMIT = env.int("VERIFY_RATE_LIMIT", default=10)
VERIFY_RATE_WINDOW = env.int("VERIFY_RATE_WINDOW", default=60)
VERIFY_MAX_SIZE_MB = env.int("VERIFY_MAX_SIZE_MB", default=20)
# Admin sign-in attempts per client address and window (seconds).
ADMIN_LOGIN_RATE_LIMIT = env.int("ADMIN_LOGIN_RATE_LIMIT", default=10)
# Payment providers enabled, by identifier; the sandbox bank (SANDBOX_BANK_ENABLED, with the
# installed apps) never in production.
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["vnpay"])
VNPAY_TMN_CODE = env.str("VNPAY_TMN_CODE", default="SANDBOX1")
VNPAY_HASH_SECRET = env.str(
    "VNPAY_HASH_SECRET", default="" if PRODUCTION else "SANDBOXSECRETKEYFORDEVELOPMENTONLY"
)
VNPAY_PAYMENT_URL = env.str("VNPAY_PAYMENT_URL", default=f"{SITE_URL}/sandbox-bank/pay")
VNPAY_API_URL = env.str("VNPAY_API_URL", default=f"{SITE_URL}/sandbox-bank/api/transaction")
VNPAY_EXPIRE_MINUTES = env.int("VNPAY_EXPIRE_MINUTES", default=15)

# --- Signing -----------------------------------------------------------------------------------
# Who signs what the portal issues (signing/providers/): "pkcs12" (a key file: development and
# small agencies), "pkcs11" (a token or HSM), "remote" (the agency's signing service, JSON over
# HTTP, signing/remote_server.py), or "none" (documents are issued unsigned, still recorded by
# hash). `make run` makes a development CA and agency certificate (NOT TRUSTED) in var/signing/.
SIGNING_PROVIDER = env.str("SIGNING_PROVIDER", default="none")
SIGNING_PKCS12_PATH = env.str("SIGNING_PKCS12_PATH", default="")
SIGNING_PKCS12_PASSWORD = env.str("SIGNING_PKCS12_PASSWORD", default="")
SIGNING_PKCS11_MODULE = env.str("SIGNING_PKCS11_MODULE", default="")
SIGNING_PKCS11_TOKEN_LABEL = env.str("SIGNING_PKCS11_TOKEN_LABEL", default="")
SIGNING_PKCS11_PIN = env.str("SIGNING_PKCS11_PIN", default="")
SIGNING_PKCS11_KEY_LABEL = env.str("SIGNING_PKCS11_KEY_LABEL", default="")
SIGNING_REMOTE_URL = env.str("SIGNING_REMOTE_URL", default="")
SIGNING_REMOTE_KEY_ID = env.str("SIGNING_REMOTE_KEY_ID", default="")
SIGNING_REMOTE_TOKEN = env.str("SIGNING_REMOTE_TOKEN", default="")
# RFC 3161 timestamp authority: with it signatures are PAdES B-T (B-LT when revocation data can
# be fetched); without it, B-B (the signing time is the server's claim only).
SIGNING_TSA_URL = env.str("SIGNING_TSA_URL", default="")
# PEM files of the roots a signature must chain to (the verification page trusts only these).
SIGNING_TRUST_ROOTS = env.list("SIGNING_TRUST_ROOTS", default=[])
# The issuing organisation, as printed and recorded on every issued document.
SIGNING_ORGANISATION = env.str("SIGNING_ORGANISATION", default=PORTAL_NAME)
# LibreOffice, to turn a Word/OpenDocument result into PDF before signing (refused without it).
SIGNING_SOFFICE = env.str("SIGNING_SOFFICE", default="soffice")
SIGNING_CONVERT_TIMEOUT = env.int("SIGNING_CONVERT_TIMEOUT", default=120)
# Seconds the signer waits for the TSA, OCSP, CRL and remote-signing servers.
SIGNING_TIMEOUT = env.int("SIGNING_TIMEOUT", default=10)

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pyHanko subsets the signature font for every signed document: a dozen INFO lines each.
        "fontTools": {"level": "WARNING"},
    },
}
