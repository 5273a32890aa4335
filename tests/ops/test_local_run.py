"""`make run`'s configuration boots without any external service: SQLite under a temporary
var/, kombu's filesystem broker, and a real Celery worker runs a task."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.worker


def test_local_configuration_migrates_and_runs_a_task_through_a_real_worker(tmp_path):
    var = tmp_path / "var"
    for sub in ("broker", "processed", "results"):
        (var / sub).mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "EMAIL_URL"}
        and not k.startswith("DJANGO_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ctsportal.settings.local",
        DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        CELERY_RESULT_BACKEND=f"file://{var / 'results'}",
        CTS_BROKER_FOLDER=str(var / "broker"),
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert migrate.returncode == 0, migrate.stderr
    seed = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seed.returncode == 0, seed.stderr
    assert "owner@yamada.example.jp" in seed.stdout

    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(
        [
            celery,
            "-A",
            "ctsportal",
            "worker",
            "--concurrency=1",
            "--pool=solo",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup();"
                "from ctsportal.celery import ping;"
                "print(ping.delay().get(timeout=60))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert client.returncode == 0, client.stderr
    assert client.stdout.strip() == "pong"
