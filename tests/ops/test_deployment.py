"""The production configuration: `check --deploy` is clean and docker-compose.yml points at
things that exist in the project."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "ctsportal.settings.production",
    "SECRET_KEY": "p7#Qv2!x9Lr@4mZk8Tn$1Wb6Yc3Hd0Jf5Gs-Ue_Ra+Io=Pl*Ka^Sm&Dn%Fb",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ctsportal",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    "ALLOWED_HOSTS": "portal.example.jp",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.jp",
    "SITE_URL": "https://portal.example.jp",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Informational notes (e.g. notice kinds no feature sends yet) may remain; nothing more.
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output


@pytest.mark.parametrize("secret", [None, "short", "local-development-only-not-secret" * 3])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {**PRODUCTION_ENV}
    env.pop("SECRET_KEY")
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_argon2_is_the_first_password_hasher(settings):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = _compose()["services"]
    assert {"db", "redis", "web", "worker", "beat", "mail"} <= set(services)


def _check_command(command: list[str]) -> None:
    program = command[0]
    if program == "python":
        assert command[1] == "manage.py" and (ROOT / "manage.py").exists()
        from django.core.management import get_commands

        assert command[2] in get_commands(), command
    elif program == "gunicorn":
        module, _, attr = command[1].partition(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), command
        assert attr == "application"
    elif program == "celery":
        app = command[command.index("-A") + 1]
        assert hasattr(importlib.import_module(app), "celery_app"), command
        if "--scheduler" in command:
            dotted = command[command.index("--scheduler") + 1]
            module, _, attr = dotted.partition(":")
            assert hasattr(importlib.import_module(module), attr), dotted
    else:
        pytest.fail(f"unexpected program in docker-compose: {command}")


def test_every_compose_command_points_at_something_in_the_project():
    services = _compose()["services"]
    checked = 0
    for service in services.values():
        command = service.get("command")
        if command is None or service.get("build") is None:
            continue
        _check_command(command)
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "ctsportal.settings.production"
        importlib.import_module(service["environment"]["DJANGO_SETTINGS_MODULE"].rsplit(".", 1)[0])
        checked += 1
    assert checked == 4, "migrate, web, worker and beat run project commands"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "ctsportal.wsgi:application" in dockerfile
