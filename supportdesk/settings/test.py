"""Test settings: the real PostgreSQL and Redis (DATABASE_URL, REDIS_URL), never SQLite stand-ins."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/supportdesk")
_redis = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CACHE_URL", _redis.rsplit("/", 1)[0] + "/1")
os.environ.setdefault("CELERY_BROKER_URL", _redis)

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# each pytest-xdist worker (PYTEST_XDIST_WORKER: gw0, gw1, ...) its own folder, as it has its own database
MEDIA_ROOT = BASE_DIR / "var" / "test-media" / os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
STATIC_ROOT = None  # served from the app folders by the live server; nothing is collected
WHITENOISE_USE_FINDERS = True
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  the live server's request threads must not hold connections
AWS_RATE_LIMIT = "off"  # moto and the sandbox do not throttle; tests/awsgateway/test_ratelimit.py turns limits on
