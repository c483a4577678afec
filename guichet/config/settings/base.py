"""Guichet settings. Every setting is read from the environment once, here, with its default.

The embedded default is SQLite in WAL mode under GUICHET_DATA_DIR; production sets DATABASE_URL to a
PostgreSQL server. See docs/configuration.md for the list.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from guichet.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent

# Where the embedded database, uploaded files and outgoing mail of a single-server install live.
DATA_DIR = Path(env_str("GUICHET_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept in the data folder."""
    configured = env_str("SECRET_KEY", "")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


# Cryptographic signing key; generated into GUICHET_DATA_DIR/secret_key when unset.
SECRET_KEY = _secret_key()
# Debug pages; never in production.
DEBUG = env_bool("DEBUG", False)
# Host names this server answers to (comma-separated).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Origins trusted for CSRF when served behind a proxy (comma-separated, with scheme).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Public base URL of the site, used in links sent to citizens (tracking links in emails).
SITE_URL = env_str("GUICHET_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "guichet.core",
    "guichet.organizations",
    "guichet.citizens",
    "guichet.conversations",
    "guichet.cases",
    "guichet.channels",
    "guichet.intake",
    "guichet.routing",
    "guichet.assist",
    "guichet.knowledge",
    "guichet.insights",
    "guichet.audit",
    "guichet.sla",
    "guichet.callbacks",
    "guichet.live",
    "guichet.ui",
    "guichet.api",
]

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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guichet.config.urls"
WSGI_APPLICATION = "guichet.config.wsgi.application"
ASGI_APPLICATION = "guichet.config.asgi.application"

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
                "guichet.ui.context_processors.branding",
            ],
        },
    }
]

# The database: SQLite file under GUICHET_DATA_DIR by default, any DATABASE_URL otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'guichet.sqlite3'}")
# PostgreSQL: send query parameters apart from the SQL (server-side binding), which lets psycopg
# prepare the statements a process runs again and again: the inbound pipeline ingests about 10%
# more messages per second (docs/performance.md). Turn it off behind a connection pooler that
# cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
DATABASE_SERVER_SIDE_BINDING = env_bool("GUICHET_DB_SERVER_SIDE_BINDING", True)


def database_config(url: str) -> dict[str, object]:
    """Django DATABASES entry for a URL; SQLite runs in WAL mode with immediate transactions."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web process read while a worker writes; IMMEDIATE takes the write lock at
            # BEGIN so that two writers queue instead of failing with "database is locked".
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        name = str(config.get("NAME") or "")
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
    elif config["ENGINE"] == "django.db.backends.postgresql" and DATABASE_SERVER_SIDE_BINDING:
        given = config.get("OPTIONS")
        options = dict(given) if isinstance(given, dict) else {}
        options.setdefault("server_side_binding", True)
        config["OPTIONS"] = options
    return config


DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organizations.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "desk:login"
LOGIN_REDIRECT_URL = "desk:queue"
LOGOUT_REDIRECT_URL = "desk:login"

# Language: French by default, English shipped.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
# Time zone of the administrations served (France by default).
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders; the (possibly empty) collected folder must still exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve static files from the apps directly (no collectstatic needed for a single-server install).
WHITENOISE_USE_FINDERS = True
# Uploaded attachments and raw inbound payloads; never served publicly, only through permission checks.
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background work: Django's Tasks API (django-tasks backport). "database" needs no broker and lets
# many workers share PostgreSQL; "immediate" runs tasks in-process (tests).
TASK_BACKEND = env_str("GUICHET_TASK_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASK_BACKEND == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default", "email"],
    }
}

# Outgoing email. Without EMAIL_HOST, mail is written as .eml files under GUICHET_DATA_DIR/mail so a
# demo install never sends real mail.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
# Sender of acknowledgements when an organization has no address of its own.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "guichet@localhost")
# Domain used in the Message-ID of outgoing mail.
GUICHET_EMAIL_DOMAIN = env_str("GUICHET_EMAIL_DOMAIN", "guichet.localhost")

# Fernet keys (comma-separated, newest first) that encrypt channel credentials at rest; derived
# from SECRET_KEY when empty.
GUICHET_ENCRYPTION_KEYS = env_list("GUICHET_ENCRYPTION_KEYS", [])

# Attachments: one file at most this size, one message at most this total, these types only.
GUICHET_ATTACHMENT_MAX_BYTES = env_int("GUICHET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES = env_int(
    "GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES", 25 * 1024 * 1024
)
GUICHET_ATTACHMENT_TYPES = env_list(
    "GUICHET_ATTACHMENT_TYPES",
    [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "text/plain",
        "text/csv",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "application/vnd.ms-excel",
    ],
)
# A raw inbound message larger than this is kept aside (stored, flagged) instead of being processed
# (25 MB of attachments, base64-encoded, fit below it).
GUICHET_INBOUND_MAX_BYTES = env_int("GUICHET_INBOUND_MAX_BYTES", 36 * 1024 * 1024)
# How long a poller holds a mailbox without renewing its lease (renewed at every batch); after
# that, a poller that died is presumed gone and another may read the mailbox.
GUICHET_POLL_LEASE_SECONDS = env_int("GUICHET_POLL_LEASE_SECONDS", 300)
# Mail that reached a provider webhook addressed to no organization is kept this many days for the
# platform operators (admin: "Mail for no organization"), then deleted with its file.
GUICHET_UNROUTED_RETENTION_DAYS = env_int("GUICHET_UNROUTED_RETENTION_DAYS", 30)
# How many times a failed pipeline step is retried automatically before waiting for an administrator.
GUICHET_INTAKE_MAX_ATTEMPTS = env_int("GUICHET_INTAKE_MAX_ATTEMPTS", 5)
# Replies carry a Reply-To with a signed case token (mairie+c12-k3j5h7g2m4@ville.fr): the mail server
# must deliver sub-addresses to the mailbox (most do). Off: plain reply address.
GUICHET_REPLY_TOKEN_ADDRESSES = env_bool("GUICHET_REPLY_TOKEN_ADDRESSES", True)
# A citizen's email with no reply headers or reference joins their open case on the same topic if
# it was active in the last N days (shown to the agent as a link they can undo).
GUICHET_SUGGESTED_LINK_DAYS = env_int("GUICHET_SUGGESTED_LINK_DAYS", 14)
# Reply channels that are not secure: an agent's reply on them that contains a NIR, an IBAN, a
# card, passport, identity card or tax number is sent only once the agent confirms. Add "email"
# when the organization's mail is not encrypted end to end.
GUICHET_INSECURE_CHANNELS = env_list("GUICHET_INSECURE_CHANNELS", ["sms", "whatsapp"])
# Repeat contacts: the citizen's inbound messages on one request within this many days...
GUICHET_REPEAT_CONTACT_DAYS = env_int("GUICHET_REPEAT_CONTACT_DAYS", 10)
# ...from this many on, the request is flagged to the agent.
GUICHET_REPEAT_CONTACT_THRESHOLD = env_int("GUICHET_REPEAT_CONTACT_THRESHOLD", 3)
# Attempts to deliver an outbound message when the mail server is unreachable or busy (4xx).
GUICHET_DELIVERY_MAX_ATTEMPTS = env_int("GUICHET_DELIVERY_MAX_ATTEMPTS", 6)
# Acknowledgements sent to one sender per hour at most (mail-loop and flood protection).
GUICHET_ACKNOWLEDGEMENTS_PER_HOUR = env_int("GUICHET_ACKNOWLEDGEMENTS_PER_HOUR", 3)
# Default phone region for numbers written without a country code.
GUICHET_PHONE_REGION = env_str("GUICHET_PHONE_REGION", "FR")
# SLAs (docs/sla.md): a case is "due soon" once this share of the time between its reception and
# its due date has passed; the escalation job flags it then, and again when it is late.
GUICHET_SLA_NEAR_RATIO = float(env_str("GUICHET_SLA_NEAR_RATIO", "0.8"))
# Scheduled callbacks (docs/callbacks.md): slot length, bookings per slot when the routing app
# gives no count of phone agents, days ahead offered, attempts and minutes between them.
GUICHET_CALLBACK_SLOT_MINUTES = env_int("GUICHET_CALLBACK_SLOT_MINUTES", 30)
GUICHET_CALLBACK_SLOT_CAPACITY = env_int("GUICHET_CALLBACK_SLOT_CAPACITY", 2)
GUICHET_CALLBACK_DAYS_AHEAD = env_int("GUICHET_CALLBACK_DAYS_AHEAD", 10)
GUICHET_CALLBACK_MAX_ATTEMPTS = env_int("GUICHET_CALLBACK_MAX_ATTEMPTS", 3)
GUICHET_CALLBACK_RETRY_MINUTES = env_int("GUICHET_CALLBACK_RETRY_MINUTES", 30)

# Live updates (docs/live.md): Redis server for many web processes; the broker carrying events
# from workers to browsers: "database" (default, nothing to install), "redis", or "memory" (one
# process only). Streams poll every N seconds, send a heartbeat every N seconds, end after N
# seconds (the browser reconnects and resumes); the database keeps events N minutes.
GUICHET_REDIS_URL = env_str("GUICHET_REDIS_URL", "")
GUICHET_LIVE_BROKER = env_str("GUICHET_LIVE_BROKER", "redis" if GUICHET_REDIS_URL else "database")
GUICHET_LIVE_POLL_SECONDS = float(env_str("GUICHET_LIVE_POLL_SECONDS", "1.0"))
GUICHET_LIVE_HEARTBEAT_SECONDS = float(env_str("GUICHET_LIVE_HEARTBEAT_SECONDS", "15"))
GUICHET_LIVE_STREAM_SECONDS = float(env_str("GUICHET_LIVE_STREAM_SECONDS", "300"))
GUICHET_LIVE_RETENTION_MINUTES = env_int("GUICHET_LIVE_RETENTION_MINUTES", 60)

# Knowledge search (docs/knowledge.md): the retrieval model of guichet.assist.retrieval, and where
# passage vectors are cached on disk.
GUICHET_KNOWLEDGE_RETRIEVER = env_str("GUICHET_KNOWLEDGE_RETRIEVER", "hybrid-fr-e5")
GUICHET_KNOWLEDGE_DIR = Path(env_str("GUICHET_KNOWLEDGE_DIR", str(DATA_DIR / "knowledge")))
# Optional generative answers of the portal assistant: an OpenAI-compatible endpoint (llama.cpp,
# vLLM, Ollama...). Empty base URL: off; the assistant answers with the matched passage.
GUICHET_LLM_BASE_URL = env_str("GUICHET_LLM_BASE_URL", "")
GUICHET_LLM_MODEL = env_str("GUICHET_LLM_MODEL", "")
GUICHET_LLM_API_KEY = env_str("GUICHET_LLM_API_KEY", "")
# Seconds to wait for the endpoint before answering with the passage instead.
GUICHET_LLM_TIMEOUT = env_int("GUICHET_LLM_TIMEOUT", 20)

# Form posts: non-file fields above this size are refused with a clear error.
# (The API carries attachments base64-encoded in JSON: 25 MB of files take about 34 MB.)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 36 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Security headers suited to a public administration's site.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "redact": {"()": "guichet.core.logfilters.RedactSecrets"},
        # Personal data (e-mails, phones, NIR, IBAN, cards...) masked in every line.
        "mask_personal_data": {"()": "guichet.core.logfilters.MaskPersonalData"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact", "mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task run is noise at INFO; failures are still logged.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": env_str("LOG_LEVEL", "INFO")},
    },
}
