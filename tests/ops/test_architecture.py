"""The import direction of docs/architecture.md holds: the apps import downwards only, with
accounts/ as the floor, and no app has an import cycle (import-linter's contracts in
pyproject.toml, also run by `make lint`)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_apps_import_downwards_only_and_without_cycles() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_accounts_is_the_floor() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "apps-layered")["layers"]
    assert layers[-1] == "accounts"
    assert {"contracts", "cameras", "notices"} <= {
        part.strip() for layer in layers for part in layer.split("|")
    }


def test_an_upward_import_fails_the_check(tmp_path: Path) -> None:
    """The check sees this tree's real imports: a contract that notices/ may not import
    accounts/ (it does) is reported broken."""
    config = tmp_path / "upward.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["accounts", "notices"]\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "accounts above notices"\ntype = "layers"\nlayers = ["accounts", "notices"]\n'
    )
    result = _lint_imports(str(config))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "notices" in result.stdout
    assert "BROKEN" in result.stdout


APPS = ["accounts", "notices", "security", "terms", "contracts", "cameras", "ctsportal"]
BARE_CLAUSE = re.compile(r"""["']art\d+(\.\d+)*["']""")


def test_application_code_names_clauses_by_the_clause_type() -> None:
    """A clause basis is a Clause member (accounts/clauses.py), never a bare "art6.3"."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "clauses.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BARE_CLAUSE.search(line)
    ]
    assert offenders == []


def test_every_scheduled_job_is_a_registered_task() -> None:
    from django.conf import settings

    from ctsportal.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks)
