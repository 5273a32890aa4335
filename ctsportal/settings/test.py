"""`make test`: the real PostgreSQL and Redis. Each variable may be overridden so that two
test runs on one machine can use separate databases."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctsportal")
os.environ.setdefault("CACHE_URL", "rediscache://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
os.environ.setdefault("EMAIL_URL", "memorymail://")


def _redis_db_for_worker(url: str, worker: int) -> str:
    """``url`` with its database number moved ``2 * worker`` up: pytest-xdist worker gw<N>
    gets its own pair (cache, broker), since each test starts with ``cache.clear()``, which
    empties the whole Redis database."""
    head, _, db = url.rpartition("/")
    return f"{head}/{int(db or 0) + 2 * worker}"


# Under pytest-xdist each worker moves the cache and broker databases up (gw0 keeps them,
# gw1 takes +2, ...), from the defaults above or from CACHE_URL / CELERY_BROKER_URL given in
# the environment. The result is written back, with the worker it was derived for, so that
# the processes a test starts (a real Celery worker) inherit it instead of moving it again.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker and os.environ.get("CTS_TEST_REDIS_WORKER") != _xdist_worker:
    _index = int(_xdist_worker.removeprefix("gw"))
    for _name in ("CACHE_URL", "CELERY_BROKER_URL"):
        os.environ[_name] = _redis_db_for_worker(os.environ[_name], _index)
    os.environ["CTS_TEST_REDIS_WORKER"] = _xdist_worker

from .base import *  # noqa: E402, F403
from .base import INSTALLED_APPS, MIDDLEWARE, STATIC_ROOT, env  # noqa: E402

# Hashing strength is not what these tests measure; Argon2 stays first so upgrades are real,
# at its smallest cost (tests/hashers.py).
PASSWORD_HASHERS = [
    "tests.hashers.FastArgon2PasswordHasher",
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

# N+1 detection (django-zeal) in every request, every task and around every test: the same
# relation loaded lazily twice from one line of code raises NPlusOneError (tests/nplusone.py
# says what each scope checks). First in the middleware so that the other middleware's
# queries are watched too.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
MIDDLEWARE = ["tests.nplusone.zeal_request_middleware", *MIDDLEWARE]
# ZEAL_RAISE=false turns the errors into warnings; ZEAL_SHOW_ALL_CALLERS=true adds each call's
# stack to the message (to find the two places that load the same thing).
ZEAL_RAISE = env.bool("ZEAL_RAISE", default=True)
ZEAL_SHOW_ALL_CALLERS = env.bool("ZEAL_SHOW_ALL_CALLERS", default=False)
# What zeal flags but is not an N+1, each with the reason it is loaded one by one. zeal counts
# a ``.get()`` by the first line of the project's own code on the stack, so two different
# ``.get()`` calls inside a library's view (both "at" the request policy middleware) count as
# one line repeated.
ZEAL_ALLOWLIST: list[dict[str, str]] = [
    # Signing in loads the person by e-mail (Django's backend) and again by key (allauth lists
    # the person's sessions, loading each session's user: a person has a handful).
    {"model": "accounts.User", "field": "get()"},
    # allauth's e-mail confirmation loads the address by key, then the primary address.
    {"model": "account.EmailAddress", "field": "get()"},
    # Ending a person's sessions goes through the session store one session at a time, so
    # that the cached_db engine drops each from the cache too (a person has a handful).
    {"model": "sessions.Session", "field": "get()"},
    # The diff page loads its two versions by label, one each (never more than two).
    {"model": "terms.TermsVersion", "field": "get()"},
    # The admin's import previews the text to check that it is the one confirmed, then the
    # import service previews it once more inside its transaction (one document, twice).
    {"model": "terms.TermsDocument", "field": "get()"},
    # Django's content-type cache loads each model's row once per process (audit targets of
    # two models in one request load two rows, once; a flushed database empties the cache).
    {"model": "contenttypes.ContentType", "field": "get()"},
    # allauth's view that removes a security key loads the key for the form and again when the
    # form is valid (one row, twice).
    {"model": "mfa.Authenticator", "field": "get()"},
]
