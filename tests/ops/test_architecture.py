"""The import direction of docs/architecture.md holds: the apps import downwards only, with
accounts/ as the floor, and no app has an import cycle (import-linter's contracts in
pyproject.toml, also run by `make lint`)."""

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
