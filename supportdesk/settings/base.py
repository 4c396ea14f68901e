"""Settings for every environment; production differs only by environment variables.

`make run` sets DJANGO_DEBUG and a local secret; a deploy sets DJANGO_SECRET_KEY, DATABASE_URL,
CELERY_BROKER_URL, CACHE_URL and DJANGO_ALLOWED_HOSTS (the full list: docs/operations.md#configuration).
"""

import json
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from supportdesk import queues

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # for local use; the environment wins

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: a deploy without one fails at start
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",  # through accounts.saml.SAMLProvider (SOCIALACCOUNT_PROVIDERS below)
    "accounts",
    "tickets",
    "directory",  # IdP groups -> roles and queues at sign-in; SCIM provisioning
    "integrations",
    "notifications",
    "mail",  # email in: each queue's mailbox (SES, IMAP, Maildir) makes tickets and comments
    "paging",
    "escalation",
    "oncall",
    "chat",  # Slack in: button clicks and the /supportdesk command
    "rules",
    "kpis",
    "readiness",
    "demo",  # seed_demo and seed_demo_history: above every app they seed
    "observability",  # /metrics: reads across every app
    "backups",  # manage.py backup and restore: every app's tables and the media folder
    "supportdesk.apps.SupportdeskConfig",  # last: the composition root (syncs the beat schedule on migrate)
]

MIDDLEWARE = [
    "supportdesk.requestid.RequestIdMiddleware",  # first: every log line of a request carries its id
    "supportdesk.health.HealthCheckMiddleware",  # probes: before the host check, the HTTPS redirect and sessions
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # and last: requests by view, status, latency
    "supportdesk.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "supportdesk.headers.SecurityHeadersMiddleware",  # CSP and Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.HostHeaderMiddleware",  # SAML reads the Host header itself
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "accounts.middleware.TimeZoneMiddleware",  # the viewer's zone for every time a page shows
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"
ASGI_APPLICATION = "supportdesk.asgi.application"

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
                "accounts.context_processors.role",
            ],
            # The Django/Jinja bridge: {% jinja "partial" %} renders a Jinja2 partial, and {% url %} reverses a
            # name once per URL configuration, then fills in the arguments (see supportdesk/links.py)
            "libraries": {"jinja": "supportdesk.templatetags.jinja"},
            "builtins": ["supportdesk.templatetags.links"],
        },
    },
    {
        # Hot loops only (see supportdesk/jinja2.py); pages stay Django templates.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "supportdesk.jinja2.environment"},
    },
]

# Database: SQLite for `make run`, PostgreSQL (DATABASE_URL) everywhere else.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, worker and beat write at once: wait for the lock, take it up front.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Planning costs more than running our indexed queries: a connection plans each one once.
        # Turn off behind a pooler that cannot keep prepared statements (PgBouncer before 1.21).
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
# Optional read replica (PostgreSQL streaming replication): the KPI dashboard and CSV exports read from it
# (supportdesk/replica.py); in tests a mirror of the default database.
if _replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    _replica = env.db_url_config(_replica_url)  # the primary's connection settings, and the URL's own options
    _replica["OPTIONS"] = DATABASES["default"].get("OPTIONS", {}) | _replica.get("OPTIONS", {})
    _replica |= {"CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}
    DATABASES["replica"] = _replica | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["supportdesk.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering-index columns speed up PostgreSQL's KPI reads; the SQLite demo does without them
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Cache: Redis when CACHE_URL is set, a miss while Redis is down; sessions are read through it from the database,
# so a Redis outage signs nobody out.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "supportdesk.cache.FailSoftRedisCache"
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if "redis" in CACHES["default"]["BACKEND"].lower()
    else "django.contrib.sessions.backends.db"
)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email and password; SSO providers from the environment.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_ALLOW_SIGNUP = env.bool("ACCOUNT_ALLOW_SIGNUP", default=False)  # staff are invited, not self-made
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
# OIDC_PROVIDERS: a JSON list of allauth openid_connect apps, for example
# [{"provider_id": "okta", "name": "Okta", "client_id": "...", "secret": "...",
#   "settings": {"server_url": "https://example.okta.com"}}]
# People who sign in through SSO for the first time get an account only from these email domains.
SSO_SIGNUP_DOMAINS = [d.lower() for d in env.list("SSO_SIGNUP_DOMAINS", default=[])]
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {
    "openid_connect": {"APPS": json.loads(env.str("OIDC_PROVIDERS", default="[]"))},
    # SAML 2.0: SocialApps of provider "saml" in the admin, and the one below from the environment when set.
    "saml": {"provider_class": "accounts.saml.SAMLProvider", "APPS": []},
}
if _saml_idp := env.str("SAML_IDP_ENTITY_ID", default=""):
    _saml_metadata_url = env.str("SAML_IDP_METADATA_URL", default="")
    SOCIALACCOUNT_PROVIDERS["saml"]["APPS"].append(
        {
            "provider_id": _saml_idp,  # allauth's convention: the IdP's entity ID (SocialAccount.provider)
            "client_id": env.str("SAML_ORGANIZATION_SLUG", default="sso"),  # in the URLs: /accounts/saml/sso/acs/
            "name": env.str("SAML_IDP_NAME", default="single sign-on"),
            "settings": {
                "idp": {"entity_id": _saml_idp, "metadata_url": _saml_metadata_url}
                if _saml_metadata_url
                else {
                    "entity_id": _saml_idp,
                    "sso_url": env.str("SAML_IDP_SSO_URL"),
                    "x509cert": env.str("SAML_IDP_X509_CERT", multiline=True),
                },
                "sp": {"entity_id": env.str("SAML_SP_ENTITY_ID", default="")},  # empty: the SP metadata's URL
                **({"attribute_mapping": json.loads(_map)} if (_map := env.str("SAML_ATTRIBUTE_MAPPING", "")) else {}),
            },
        }
    )
# Where a sign-in carries the person's groups (directory app): an OIDC claim, and a SAML attribute (Entra ID's is
# http://schemas.microsoft.com/ws/2008/06/identity/claims/groups unless renamed)
SSO_GROUPS_CLAIM = env.str("SSO_GROUPS_CLAIM", default="groups")
SSO_SAML_GROUPS_ATTRIBUTE = env.str("SSO_SAML_GROUPS_ATTRIBUTE", default=SSO_GROUPS_CLAIM)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Supportdesk"
# Who must have MFA: "admins", "staff" (agents, managers, admins), "all", or "off". REQUIRE_ADMIN_MFA=true, the
# older switch, still means "admins".
REQUIRE_MFA = env.str("REQUIRE_MFA", default="admins" if env.bool("REQUIRE_ADMIN_MFA", default=False) else "off")
if REQUIRE_MFA not in ("off", "admins", "staff", "all"):
    raise ImproperlyConfigured(f"REQUIRE_MFA is {REQUIRE_MFA!r}: use off, admins, staff or all.")
# SSO sign-ins the identity provider says used MFA count as MFA for that session, when trusted: for every SSO
# app with SSO_TRUST_IDP_MFA, or per app with "trust_idp_mfa" in its settings. OIDC says it in the ID token's
# `amr` (RFC 8176), SAML in the assertion's AuthnContextClassRef.
SSO_TRUST_IDP_MFA = env.bool("SSO_TRUST_IDP_MFA", default=False)
SSO_MFA_AMR = env.list("SSO_MFA_AMR", default=["mfa", "mca", "otp", "hwk", "sc"])
SAML_MFA_AUTHN_CONTEXTS = env.list(
    "SAML_MFA_AUTHN_CONTEXTS",
    default=[
        "https://refeds.org/profile/mfa",
        "http://schemas.microsoft.com/claims/multipleauthn",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
    ],
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Attachments: served only through the ticket's access check, never from MEDIA_URL.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_TOTAL_BYTES = env.int("ATTACHMENT_MAX_TOTAL_BYTES", default=25 * 1024 * 1024)  # one ticket or comment
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=10)
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=["png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "log", "csv", "json", "yaml", "yml", "zip", "har"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Links in notifications (SNS, email, webhooks) point here: the address people reach the portal at
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
TICKET_REFERENCE_PREFIX = env.str("TICKET_REFERENCE_PREFIX", default="SD")
TICKET_AUTO_CLOSE_AFTER_DAYS = env.int("TICKET_AUTO_CLOSE_AFTER_DAYS", default=7)

# What a ticket change sets off, in this order (tickets/reactions.py dispatches it once per service call). Each
# reaction sees what the ones before it changed (the rules' changes reach the others, never the rules again).
# "in transaction": commits or rolls back with the change; "on commit": after it, never for a rolled-back one.
TICKET_REACTIONS = [
    ("rules.reactions.rules_react", "in transaction"),  # first: the others see the ticket as the rules left it
    ("escalation.reactions.sla_react", "in transaction"),  # due times and clocks, stopped chains
    ("paging.reactions.pages_react", "in transaction"),  # pages stopped once someone has the ticket
    ("notifications.reactions.notices_react", "in transaction"),  # enqueued with the change, sent after commit
    ("notifications.reactions.cards_react", "in transaction"),  # Slack cards redrawn after commit
    ("readiness.reactions.reviews_react", "in transaction"),  # a review opens after commit (its own task)
    ("integrations.security.reactions.write_back_react", "in transaction"),  # Security Hub told after commit
]
# Who may hold a ticket's notices (quiet rules during maintenance): a function (ticket=, key=) answering None (not
# held), the reason to note on the timeline, or "" (held, noted already). Resolved once, like TICKET_REACTIONS.
NOTICE_HOLD = "rules.quiet.notice_held"
# Told when a notification fails for good (refused, opted out, dead): a function (notification=) called in the
# delivery's transaction. Paging moves a page on to its next rule at once. Resolved once, like NOTICE_HOLD.
NOTICE_FAILED = "paging.services.page_delivery_failed"
# The Reply-To of a ticket's mail: a function (queue_id=) answering the queue's mailbox address or "" (mail is above
# notifications, so notifications names it only here). Resolved once, like NOTICE_HOLD.
NOTICE_REPLY_TO = "mail.selectors.reply_address"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.backends.TokenAuthentication",  # first, so a missing login is a 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "supportdesk.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "supportdesk.pagination.KeysetPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "supportdesk.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supportdesk API",
    "DESCRIPTION": "Tickets, comments, timelines, severities and queues. Session or token authentication.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",  # vendored from npm: no CDN
    "SWAGGER_UI_FAVICON_HREF": "/static/img/favicon.svg",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "supportdesk.schema.error_responses",  # 400, 401, 403, 404… on every operation that may answer them
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "tickets.models.Ticket.Kind",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "EventKindEnum": "tickets.models.TicketEvent.Kind",
    },
}

# Celery: the embedded filesystem broker for `make run`, Redis or RabbitMQ in production and tests.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# A request publishing while the broker is down fails at once (one connection attempt, no publish retries) rather
# than after seconds: callers queue after commit, robustly, and a sweep re-queues what did not go.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"max_retries": 0, "socket_connect_timeout": 1}
CELERY_TASK_DEFAULT_EXCHANGE_TYPE = "direct"
_quorum_queues = False  # RabbitMQ only (below)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = BASE_DIR / "var" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # A dead worker's unacknowledged messages return after this (kombu's default is an hour). Longer than any task
    # and any retry countdown (at most 15 min, a notification's), or Redis would deliver those twice (a longer
    # escalation step that comes twice finds its token stale); lost polls need not wait for it: integrations'
    # overdue-poll sweep queues them again within a minute or two, and the notification sweep re-queues its rows.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"visibility_timeout": 20 * 60}
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ returns a dead worker's unacknowledged messages as soon as its connection drops. Publisher confirms:
    # a publish returns once the broker has the message (on a quorum queue, a majority of the nodes), and raises if
    # the broker refuses it, rather than losing it silently.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"confirm_publish": True}
    CELERY_BROKER_HEARTBEAT = 30  # a worker notices a dead connection (a node lost, a dropped NAT entry) in a minute
    # Quorum queues (production, a 3-node cluster): replicated, and Celery's native delayed delivery keeps countdowns
    # (escalation and page steps, retries) in the broker; classic queues hold them unacknowledged in the worker.
    _quorum_queues = env.bool("CELERY_QUORUM_QUEUES", default=False)
    CELERY_TASK_DEFAULT_EXCHANGE_TYPE = "topic"  # native delayed delivery routes due messages through topic exchanges
    if _quorum_queues:
        CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
        CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
        CELERY_TASK_CREATE_MISSING_QUEUE_EXCHANGE_TYPE = "topic"
# A worker rides out a broker outage of any length rather than exiting after 100 attempts
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the connection drops are redelivered (their ack cannot go over the new one): stop them
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_CONSUMER = "supportdesk.celery:ReconnectingConsumer"
CELERY_TASK_ACKS_LATE = True  # redelivered if a worker dies, so tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
# Every task has a time limit: the soft one raises SoftTimeLimitExceeded in the task, the hard one kills it. A few
# that legitimately run longer (a poll of a large account, the KPI fold after a big import) set their own, always
# under the Redis visibility timeout above, or a task still running would be delivered a second time.
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task goes to the queue of its kind (supportdesk/queues.py), so a flood of polls never delays a page. One table,
# by task name; a task missing from it fails tests/test_celery.py rather than landing in the default queue unnoticed.
CELERY_TASK_ROUTES = {
    name: {"queue": queue}
    for queue, names in {
        queues.NOTIFICATIONS: [
            "notifications.tasks.notification_deliver_task",
            "notifications.tasks.slack_card_refresh_task",
            "paging.tasks.page_step_task",
            "chat.tasks.slack_tell_task",
        ],
        queues.SWEEPS: [
            "notifications.tasks.notifications_sweep_task",
            "paging.tasks.pages_sweep_task",
            "escalation.tasks.*",  # the SLA sweep, escalation steps and the sweep re-running lost ones
            "oncall.tasks.shift_reminders_task",
            # what an escalation step asked AWS for: one CreateCase, not stuck behind a thousand polls
            "integrations.tasks.support_case_open_automatically_task",
            # an agent's resolution told to Security Hub: one call, not behind a thousand polls
            "integrations.tasks.security_finding_write_back_task",
            "integrations.tasks.security_write_backs_requeue_task",
            # the beat ticks that queue polls: quick, and they must run on time for the spread to hold
            "integrations.tasks.polls_overdue_queue_task",
            "integrations.tasks.*_all_task",
            "integrations.tasks.sns_messages_requeue_task",
            "mail.tasks.mailboxes_poll_task",
        ],
        queues.INGESTION: ["integrations.tasks.sns_message_ingest_task", "mail.tasks.mailbox_poll_task"],
        queues.POLLING: [
            "integrations.tasks.trusted_advisor_poll_task",
            "integrations.tasks.health_poll_task",
            "integrations.tasks.security_hub_poll_task",
            "integrations.tasks.support_cases_sync_task",
            "integrations.tasks.organization_discover_task",
            "integrations.tasks.account_capability_refresh_task",
        ],
        queues.KPIS: ["kpis.tasks.*"],
        queues.DEFAULT: [
            "integrations.tasks.poll_runs_prune_task",
            "chat.tasks.slack_requests_prune_task",
            "tickets.tasks.tickets_auto_close_task",
            "accounts.tasks.sessions_expired_clear_task",
            "readiness.tasks.*",
        ],
    }.items()
    for name in names
}
# Declared, so that `celery worker -Q notifications,sweeps` finds them on Redis and RabbitMQ alike (a worker without
# -Q consumes them all); each queue's exchange and routing key are its name, as create_missing_queues would make them.
CELERY_TASK_QUEUES = queues.declared(exchange_type=CELERY_TASK_DEFAULT_EXCHANGE_TYPE, quorum=_quorum_queues)
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="supportdesk@localhost")
# Email in (mail/): the right-hand side of our Message-IDs (replies find their ticket by them), the largest message
# taken (SES takes at most 40 MB), and how many messages one sender may send in an hour before the rest are ignored
EMAIL_DOMAIN = env.str("EMAIL_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost")
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", default=40 * 1024 * 1024)
MAIL_SENDER_MAX_PER_HOUR = env.int("MAIL_SENDER_MAX_PER_HOUR", default=30)

# Security: strict unless DEBUG; `manage.py check --deploy` passes with production settings.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
_https = env.bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
_behind_proxy = env.bool("DJANGO_BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _behind_proxy else None
# Sign-in limits count by the client's address: behind the proxy, the X-Forwarded-For entry it appended (a
# client's own entries further left are not believed), or a header the proxy sets; else everyone would share the
# proxy's address and ten wrong passwords from anyone would stop every sign-in.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1 if _behind_proxy else 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("DJANGO_CLIENT_IP_HEADER", default=None)
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # Prometheus scrapes each process over plain HTTP

# AWS: credentials come from the default chain (environment, instance role); the sandbox or moto when set.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default=None)
# Calls a second/burst to each AWS operation, per caller account and region, shared by every worker through Redis
# (awsgateway/ratelimit.py, docs/operations.md#queues-and-workers); "off" for none. Per service or operation:
# AWS_RATE_LIMITS="support=5/10,health.DescribeEvents=2/4".
AWS_RATE_LIMIT = env.str("AWS_RATE_LIMIT", default="10/20")
# Notices and pages are not held back: SNS and SMS accept far more than we send, and a person waits for them; nor
# are backups (S3 takes thousands of requests a second per prefix)
_UNLIMITED = {"sns": "off", "pinpoint-sms-voice-v2": "off", "sts": "off", "s3": "off"}
_DOCUMENTED = {"securityhub.GetFindings": "3/6"}  # AWS's published quota for it, below the default
AWS_RATE_LIMITS: dict[str, str] = _UNLIMITED | _DOCUMENTED | env.dict("AWS_RATE_LIMITS", default={})
AWS_RATE_LIMIT_WAIT_SECONDS = env.float("AWS_RATE_LIMIT_WAIT_SECONDS", default=20.0)  # then AwsThrottled: a retry
AWS_RATE_LIMIT_REDIS_URL = CACHES["default"]["LOCATION"] if "redis" in CACHES["default"]["BACKEND"].lower() else None
# `manage.py backup --to s3://…`: "" leaves it to the bucket's default encryption; AES256, or aws:kms (with a key id,
# or the account's aws/s3 key)
BACKUP_S3_SSE = env.str("BACKUP_S3_SSE", default="")
BACKUP_S3_KMS_KEY_ID = env.str("BACKUP_S3_KMS_KEY_ID", default="")
# Pages by SMS and voice (AWS End User Messaging SMS and Voice; docs/aws.md#sms-and-voice). The origination identity
# is a phone number, pool or sender id (its ID or ARN); calls need a number or pool that can call.
SMS_ORIGINATION_IDENTITY = env.str("SMS_ORIGINATION_IDENTITY", default="")
SMS_CONFIGURATION_SET = env.str("SMS_CONFIGURATION_SET", default="")
SMS_REGION = env.str("SMS_REGION", default="")  # empty: the default region
SMS_MAX_PRICE = env.str("SMS_MAX_PRICE", default="")  # USD per message part, e.g. "0.50"; empty: no cap
VOICE_MAX_PRICE_PER_MINUTE = env.str("VOICE_MAX_PRICE_PER_MINUTE", default="")
VOICE_ID = env.str("VOICE_ID", default="JOANNA")
PAGE_LINK_HOURS = env.int("PAGE_LINK_HOURS", default=12)  # how long a one-tap acknowledge link works

# Slack (the chat app, and Slack channels in notifications): secrets from the environment only, never the database.
# The bot token posts and updates messages; the signing secret proves a request came from Slack. Empty: not set up.
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")  # the sandbox's fake Slack for make run

# Metrics (docs/operations.md#metrics): whoever reads /metrics and the workers' metrics ports needs the token, and
# comes from one of the networks, whichever are set; with neither set nobody may (a 404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [ip_network(n, strict=False) for n in env.list("METRICS_ALLOWED_NETWORKS", default=[])]
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=None)  # each Celery worker's /metrics; off when unset
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="0.0.0.0")

BENCH_VIEWS = env.bool("SUPPORTDESK_BENCH_VIEWS", default=False)  # `make bench` yardsticks only

# Logs go to standard error, as plain lines (`make run`) or JSON lines (LOG_FORMAT=json) for a log pipeline: time,
# level, logger, message, request_id, user_id, in a worker task_id and task_name, a traceback as one field. Celery
# workers and beat log through this too (supportdesk/celery.py), their --loglevel deciding the level.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "supportdesk.logfilters.JsonLines"},
    },
    "filters": {
        "refusals": {"()": "supportdesk.logfilters.RefusalsWithoutTraceback"},
        "secrets": {"()": "supportdesk.logfilters.SecretsRedacted"},
        "context": {"()": "supportdesk.logfilters.RequestContext"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context", "secrets"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # On the logger, not a handler: Django's own console handler (DEBUG) sees the record without the traceback too
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # secrets too: Django's own console handler (DEBUG) sees django.request's "Not Found: <path>"
        "django.request": {"filters": ["refusals", "secrets"]},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},  # runserver's request lines
    },
}
