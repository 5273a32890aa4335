"""`make run`: no external service needed. SQLite under var/, kombu's filesystem broker,
e-mails printed to the console. DATABASE_URL / CELERY_BROKER_URL still override."""

import os
from pathlib import Path

_VAR = Path(__file__).resolve().parent.parent.parent / "var"
for sub in ("celery/broker", "celery/control", "celery/processed", "celery/results", "mail"):
    (_VAR / sub).mkdir(parents=True, exist_ok=True)

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR / 'db.sqlite3'}")
os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")
os.environ.setdefault("CELERY_RESULT_BACKEND", f"file://{_VAR / 'celery' / 'results'}")

from .base import *  # noqa: E402,F403
from .base import CELERY_BROKER_URL, DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, worker and beat share one file: wait for locks, take the write lock
    # up front, and let readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if CELERY_BROKER_URL.startswith("filesystem://"):
    # Producer and worker exchange messages as files in one folder.
    _broker = os.environ.get("CTS_BROKER_FOLDER", str(_VAR / "celery" / "broker"))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker,
        "data_folder_out": _broker,
        "processed_folder": str(_VAR / "celery" / "processed"),
        # kombu's exchange tables; its default is "control/" in the working directory.
        "control_folder": str(_VAR / "celery" / "control"),
        "store_processed": False,
    }

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
