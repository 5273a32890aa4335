"""`make test`: the real PostgreSQL and Redis. Each variable may be overridden so that two
test runs on one machine can use separate databases."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctsportal")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("EMAIL_URL", "memorymail://")

from .base import *  # noqa: F403
from .base import STATIC_ROOT, env

# Hashing strength is not what these tests measure; Argon2 stays first so upgrades are real.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Tasks run inline in the test process unless a test starts a real worker (which sets
# CELERY_TASK_ALWAYS_EAGER=false in the worker's environment).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# WhiteNoise looks for STATIC_ROOT at start-up; an empty folder keeps it quiet in tests.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Other features' tests travel days ahead with signed-in persona clients; the session
# limits are tested with their production values in tests/accounts/test_sessions.py.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 365
SESSION_IDLE_MINUTES = 60 * 24 * 365
