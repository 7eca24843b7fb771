"""Imports run one way between the apps (pyproject.toml's import-linter contract)."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["config", "api | subaccounts", "apikeys", "reviews", "accounts", "core"]


def test_no_app_imports_one_above_it():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_holds_the_documented_order():
    # The contract could be loosened to pass; the order is ARCHITECTURE.md's.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = config["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == ORDER
    assert set(config["root_packages"]) == {
        name.strip() for layer in ORDER for name in layer.split("|")
    }
