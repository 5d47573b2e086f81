"""SkinShop settings, read from the environment.

Every value has an embedded default that needs no server, so `make run` works on a bare
machine. `DJANGO_ENV` picks the profile:

- ``local`` (what manage.py and `make run` use): DEBUG on, a throwaway secret key;
- ``test`` (set by pytest): fast password hashing, in-memory e-mail;
- ``production`` (the default of wsgi/asgi/celery): DEBUG off, refuses to start without
  SECRET_KEY, secure cookies and HSTS.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from skinshop.cache import keeping_clients

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional, for local overrides
# Runtime state of the embedded defaults (SQLite file, broker folders, media); ignored by git.
# VAR_DIR moves all of it, e.g. to a throwaway folder for a benchmark.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="production")
if DJANGO_ENV not in {"local", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be local, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=DJANGO_ENV == "local")

if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DJANGO_ENV=production).")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-key-do-not-use-in-production")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "catalog",
    "orders",
    "recommendations",
    "diagnosis",
    "labelling",
    "reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "skinshop.middleware.ContentSecurityPolicyMiddleware",
    "skinshop.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "skinshop.urls"
WSGI_APPLICATION = "skinshop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.cart",
                "skinshop.context_processors.shop",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share the file: WAL plus IMMEDIATE transactions
    # avoid "database is locked" on read-then-write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _ensure_folder(folder: Path, what: str) -> None:
    """Creates a folder the embedded defaults need, or says which one cannot be made."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"The folder {folder} for {what} does not exist and cannot be created ({error}); "
            "set VAR_DIR (or the setting naming it) to a writable folder."
        ) from error


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_name = str(DATABASES["default"]["NAME"])
    if _sqlite_name and _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        # SQLite creates the file, not its folder ("unable to open database file").
        _ensure_folder(Path(_sqlite_name).parent, "the SQLite database")

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "catalog:product_list"
if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Shop -----------------------------------------------------------------------------------
SHOP_NAME = env.str("SHOP_NAME", default="SkinShop")
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="EUR")
SHOP_CURRENCY_SYMBOL = env.str("SHOP_CURRENCY_SYMBOL", default="€")
SHOP_SHIPPING_FLAT = env.str("SHOP_SHIPPING_FLAT", default="4.90")
SHOP_FREE_SHIPPING_FROM = env.str("SHOP_FREE_SHIPPING_FROM", default="50.00")
TEST_GATEWAY = "orders.payments.TestGateway"
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default=TEST_GATEWAY)
# The test gateway approves sandbox card numbers and takes no money: production refuses it
# unless this says it is a staging shop.
PAYMENT_ALLOW_TEST_GATEWAY = env.bool("PAYMENT_ALLOW_TEST_GATEWAY", default=not IS_PRODUCTION)
if IS_PRODUCTION and PAYMENT_GATEWAY == TEST_GATEWAY and not PAYMENT_ALLOW_TEST_GATEWAY:
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY must name a real payment provider in production: the test gateway "
        "takes no money (set PAYMENT_ALLOW_TEST_GATEWAY=true only for a staging shop)."
    )
# The secret a provider signs its webhooks with (see orders.payments.verify_webhook_signature).
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", default="")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Media in an S3-compatible bucket; credentials come from the standard AWS_* variables.
    _s3_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
        "file_overwrite": False,
    }
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Selfies and heatmaps are private: never under MEDIA_URL, served only through views that check
# the owner (locally) or as short-lived signed URLs of a private prefix (S3).
if AWS_STORAGE_BUCKET_NAME:
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3_options,
            "bucket_name": env.str("AWS_PRIVATE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME),
            "location": env.str("AWS_PRIVATE_LOCATION", default="private"),
            "default_acl": "private",
            "querystring_expire": env.int("AWS_PRIVATE_QUERYSTRING_EXPIRE", default=120),
        },
    }
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")},
    }
_static_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if IS_PRODUCTION
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STORAGES = {
    "default": _default_storage,
    "private": _private_storage,
    "staticfiles": {"BACKEND": _static_backend},
}
# Outside production, whitenoise serves static files straight from their source folders, so
# the dev server and live-server tests need no collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = not IS_PRODUCTION

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Cache (rate limits, the shared storefront) ---------------------------------------------
# Per-process memory locally; several web processes need a shared one, e.g. redis://redis:6379/1.
CACHES = {"default": keeping_clients(env.cache("CACHE_URL", default="locmemcache://"))}
_SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
if IS_PRODUCTION and not _SHARED_CACHE:
    # Each process would count its own failed log-ins and uploads: N processes, N× the limit.
    raise ImproperlyConfigured(
        "CACHE_URL must name a cache shared by every web process in production, e.g. "
        "redis://redis:6379/1 (the rate limits count there)."
    )
if _SHARED_CACHE:
    # Sessions are read from the shared cache and written through to the database, which stays
    # their record: a page or a poll of a shopper then reads no session row. Never from a
    # per-process cache, which would hand one process a session that another has changed.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Seconds a shared storefront entry (catalog.cache: the product list and product pages, the
# product list API) lives at most. A catalog change replaces them at once whatever this says; it
# bounds the life of signed image links inside them, so it stays under their expiry. 0: off.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=60)
if AWS_STORAGE_BUCKET_NAME:
    CATALOG_CACHE_SECONDS = min(CATALOG_CACHE_SECONDS, _s3_options["querystring_expire"] // 2)

# --- Selfie diagnosis -----------------------------------------------------------------------
# Which shipped model the workers load: "real" (trained on ACNE04 photographs: academic use
# only) or "synthetic" (the generator alone: no restriction). DIAGNOSIS_CHECKPOINT, a file
# path, overrides both.
DIAGNOSIS_MODEL = env.str("DIAGNOSIS_MODEL", default="real")
DIAGNOSIS_CHECKPOINT = env.str("DIAGNOSIS_CHECKPOINT", default="")
# Production refuses a model whose training data forbid commercial use (diagnosis.E002)
# unless this says the shop is a research deployment allowed to run it.
DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL = env.bool("DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL", default=False)
DIAGNOSIS_QUEUE = env.str("DIAGNOSIS_QUEUE", default="diagnosis")
# One photo, and a whole check's request (its photos and form fields together): a larger body is
# refused from its Content-Length before it is read. The proxy in front must allow a little more
# (README: client_max_body_size), so that the shop itself answers with its own error.
DIAGNOSIS_MAX_UPLOAD_BYTES = env.int("DIAGNOSIS_MAX_UPLOAD_BYTES", default=15 * 1024 * 1024)
DIAGNOSIS_MAX_CHECK_BYTES = env.int("DIAGNOSIS_MAX_CHECK_BYTES", default=40 * 1024 * 1024)
# The largest request body the shop reads at all (skinshop.middleware.RequestSizeLimitMiddleware).
MAX_REQUEST_BYTES = DIAGNOSIS_MAX_CHECK_BYTES
# The most pixels a photo is decoded at, checked from the header before decoding. 24 MP takes
# any phone's default photo (12 MP, 4032×3024) and a 20 MP camera's; only
# DIAGNOSIS_STORED_MAX_SIDE is kept, and every pixel decoded costs the web process memory (an RGB
# picture 4 bytes a pixel). A JPEG of one scan decodes at 1/2, 1/4 or 1/8 scale, so a 48 MP or
# 108 MP phone photo is read reduced; DIAGNOSIS_MAX_JPEG_PIXELS bounds its full size (the work
# of reading every block), and Pillow's own guard follows it.
DIAGNOSIS_MAX_PIXELS = env.int("DIAGNOSIS_MAX_PIXELS", default=24_000_000)
DIAGNOSIS_MAX_JPEG_PIXELS = env.int("DIAGNOSIS_MAX_JPEG_PIXELS", default=120_000_000)
# Each scan of a progressive JPEG is another pass over every block: a phone's or libjpeg's
# progressive JPEG has about 10; a file padded with a thousand empty scans costs minutes of CPU.
DIAGNOSIS_MAX_JPEG_SCANS = env.int("DIAGNOSIS_MAX_JPEG_SCANS", default=40)
# The CPU (of its thread) one photo's decode may use before it is stopped and refused.
DIAGNOSIS_DECODE_CPU_SECONDS = env.float("DIAGNOSIS_DECODE_CPU_SECONDS", default=5.0)
# Checks decoding at once in one web process, and how long another waits for its turn.
DIAGNOSIS_MAX_CONCURRENT_DECODES = env.int("DIAGNOSIS_MAX_CONCURRENT_DECODES", default=2)
DIAGNOSIS_DECODE_WAIT_SECONDS = env.float("DIAGNOSIS_DECODE_WAIT_SECONDS", default=20.0)
DIAGNOSIS_MIN_SIDE = env.int("DIAGNOSIS_MIN_SIDE", default=256)
# Stored selfies are downscaled to this longest side: enough for the model and the result page.
DIAGNOSIS_STORED_MAX_SIDE = env.int("DIAGNOSIS_STORED_MAX_SIDE", default=1600)
DIAGNOSIS_EXPLAIN_K = env.int("DIAGNOSIS_EXPLAIN_K", default=10)
# Photos per hour (each photo is a unit of work: a check of three counts three), per account (or
# anonymous session) and per client address; and anonymous sessions an address may start
# uploading from per hour (a client that keeps no cookie would get a fresh session each time).
DIAGNOSIS_RATE_PER_USER = env.int("DIAGNOSIS_RATE_PER_USER", default=20)
DIAGNOSIS_RATE_PER_ADDRESS = env.int("DIAGNOSIS_RATE_PER_ADDRESS", default=60)
DIAGNOSIS_NEW_GUESTS_PER_ADDRESS = env.int("DIAGNOSIS_NEW_GUESTS_PER_ADDRESS", default=10)
# The sweep re-sends a diagnosis queued longer than this (the broker was down at upload)...
DIAGNOSIS_RESEND_AFTER = env.int("DIAGNOSIS_RESEND_AFTER", default=120)
# ...and fails one processing longer than this (beyond Redis' redelivery of a dead worker's task).
DIAGNOSIS_PROCESSING_DEADLINE = env.int("DIAGNOSIS_PROCESSING_DEADLINE", default=900)
DIAGNOSIS_MAX_ATTEMPTS = env.int("DIAGNOSIS_MAX_ATTEMPTS", default=3)
# A worker renews its claim on a check every third of this; a claim not renewed for this long
# is a dead worker's, and the sweep (every DIAGNOSIS_SWEEP_EVERY) queues the check again. On
# the filesystem broker nothing else brings it back: their sum bounds how late a redo starts.
DIAGNOSIS_LEASE_SECONDS = env.int("DIAGNOSIS_LEASE_SECONDS", default=30)
DIAGNOSIS_SWEEP_EVERY = env.int("DIAGNOSIS_SWEEP_EVERY", default=30)
# Retention: anonymous diagnoses (their session, hence their owner, is gone after
# SESSION_COOKIE_AGE) and, when set, every diagnosis; beat purges them with their files.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
DIAGNOSIS_GUEST_RETENTION_DAYS = env.int(
    "DIAGNOSIS_GUEST_RETENTION_DAYS", default=max(1, SESSION_COOKIE_AGE // 86400)
)
DIAGNOSIS_RETENTION_DAYS = env.int("DIAGNOSIS_RETENTION_DAYS", default=0)  # 0: the owner decides
# Photos given to learn from are kept this long from the consent (a guest's too, past its own
# retention), then their consent lapses: they leave the labelling queue and every export.
DIAGNOSIS_TRAINING_RETENTION_DAYS = env.int("DIAGNOSIS_TRAINING_RETENTION_DAYS", default=365)
# Labelling: how many dermatologists' opinions settle a photo (2: a third settles a dispute).
LABELLING_OPINIONS = env.int("LABELLING_OPINIONS", default=2)
DIAGNOSIS_PURGE_EVERY = env.int("DIAGNOSIS_PURGE_EVERY", default=3600)
# orders may not import recommendations: the lookup the cart and checkout re-validate a kit's
# discount with (an expired rule's kit loses it).
ORDERS_KIT_OFFER_LOOKUP = "recommendations.services.kits.kit_discount_offered"
# Whose skin check a kit's zones come from (recommendations knows nothing of checks).
RECOMMENDATIONS_CHECK_LOOKUP = "diagnosis.selectors.owned_check_findings"
# What a shopper's data export holds from the apps that import accounts (accounts may not
# import them): a key each, and a function of the user that returns plain JSON data.
# The operations page's labels and agreement come from the labelling app (which imports
# diagnosis, not the other way round).
DIAGNOSIS_LABELLING_SUMMARY = "labelling.selectors.summary"
ACCOUNTS_DATA_EXPORTS = {
    "skin_checks": "diagnosis.selectors.export_for_user",
    "check_reminders": "reminders.selectors.export_for_user",
}
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, use REMOTE_ADDR).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.locmem.EmailBackend"
        if DJANGO_ENV == "test"
        else "django.core.mail.backends.console.EmailBackend"
        if DJANGO_ENV == "local"
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SkinShop <shop@skinshop.local>")

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded default: messages are files, so no broker server is needed.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": True,
        # Where fanout exchanges are recorded; the default is the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        # kombu lists the folder once a second by default: up to a second of a shopper's wait.
        "polling_interval": 0.2,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # A message held by a worker that died comes back after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
    }
CELERY_TASK_IGNORE_RESULT = True
# An upload must not hang on a broker that is down: fail fast, the sweep re-sends later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process loads the model before it reports up (torch's import alone takes seconds on a
# busy machine); Celery's default 4 s killed every replacement of a dead pool process in a loop.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env.float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", default=60.0)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ROUTES = {"diagnosis.tasks.analyze_diagnosis": {"queue": DIAGNOSIS_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "diagnosis-sweep": {
        "task": "diagnosis.tasks.sweep_diagnoses",
        "schedule": float(DIAGNOSIS_SWEEP_EVERY),
        "options": {"queue": DIAGNOSIS_QUEUE, "expires": DIAGNOSIS_SWEEP_EVERY},
    },
    "diagnosis-purge": {
        "task": "diagnosis.tasks.purge_diagnoses",
        "schedule": float(DIAGNOSIS_PURGE_EVERY),
        "options": {"queue": DIAGNOSIS_QUEUE, "expires": DIAGNOSIS_PURGE_EVERY},
    },
}

# --- Check reminders (reminders app) --------------------------------------------------------
# The shop's address, for links in e-mails sent by beat (no request to take it from). Outside
# production the dev server. Production names it: a guess from ALLOWED_HOSTS would send
# shoppers to a private address or, for "*", to nowhere.
SITE_URL = env.str("SITE_URL", default="" if IS_PRODUCTION else "http://127.0.0.1:8000")
if IS_PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set in production to the address shoppers use, e.g. "
        "https://shop.example.com (the links in e-mails sent by beat start with it)."
    )
REMINDERS_SEND_EVERY = env.int("REMINDERS_SEND_EVERY", default=3600)
# A reminder whose sending keeps failing is retried at each tick up to this many times.
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=24)
# How long a reminder e-mail's unsubscribe link works after it was sent.
REMINDERS_UNSUBSCRIBE_DAYS = env.int("REMINDERS_UNSUBSCRIBE_DAYS", default=60)
# On Celery's default queue, with the account e-mails: the analysis workers (-Q diagnosis)
# need not consume it.
CELERY_BEAT_SCHEDULE["reminders-send"] = {
    "task": "reminders.tasks.send_due_reminders",
    "schedule": float(REMINDERS_SEND_EVERY),
    "options": {"expires": REMINDERS_SEND_EVERY},
}

# --- REST API -------------------------------------------------------------------------------
# Seconds an API token lives from its creation (then the client logs in again).
API_TOKEN_LIFETIME = env.int("API_TOKEN_LIFETIME", default=30 * 24 * 3600)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionAuthentication",
        "accounts.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "skinshop.api.Pagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "skinshop.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SkinShop API",
    "DESCRIPTION": "Skincare shop with selfie-based acne analysis.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's scripts come from the shop's static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "UsageTimeEnum": "recommendations.models.UsageTime",
        # Orders and diagnoses both have a `status`: orders keep the name they always had.
        "StatusEnum": "orders.models.OrderStatus",
        "DiagnosisStatusEnum": "diagnosis.models.Diagnosis.Status",
        "LabelRoleEnum": "labelling.models.Label.Role",
        # Products keep the name their role had before labels had one.
        "RoleEnum": "catalog.models.ProductRole",
    },
}

# --- Content-Security-Policy (skinshop.middleware) ----------------------------------------
# The shop's pages load scripts, styles and fonts from its own static files only; images also
# from the media bucket (catalog images, signed selfie URLs), data: and blob: (the upload
# preview). Inline <style> blocks and style attributes remain in a few templates and in the
# admin, hence 'unsafe-inline' for styles only; no inline script anywhere.
def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_media_origins = []
if AWS_STORAGE_BUCKET_NAME:
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    if _endpoint:
        _media_origins.append(_origin(_endpoint))
    else:
        _region = env.str("AWS_S3_REGION_NAME", default="")
        for _bucket in {AWS_STORAGE_BUCKET_NAME, _private_storage["OPTIONS"]["bucket_name"]}:
            _media_origins.append(f"https://{_bucket}.s3.amazonaws.com")
            if _region:
                _media_origins.append(f"https://{_bucket}.s3.{_region}.amazonaws.com")
                _media_origins.append(f"https://s3.{_region}.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": [
        "'self'",
        "data:",
        "blob:",
        *_media_origins,
        *env.list("CSP_EXTRA_IMG_SRC", default=[]),
    ],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Security (production) ------------------------------------------------------------------
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the app directly over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
