"""Installs come from lock files with hashes: production's without the dev tools."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)(?: ;[^\n]*)? \\$", re.M)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    requirement_lines = [line for line in text.splitlines() if line[:1].isalnum()]
    found = {canonicalize_name(name): version for name, version in PIN.findall(text)}
    assert len(requirement_lines) == len(found), "a requirement without an exact version"
    # Every requirement carries its hashes, so pip runs in hash-checking mode.
    blocks = re.split(r"^(?=[A-Za-z0-9])", text, flags=re.M)[1:]
    assert all("--hash=sha256:" in block for block in blocks)
    return found


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_the_production_lock_pins_every_dependency_and_no_dev_tool():
    production = pins("requirements.txt")
    main = names(PYPROJECT["project"]["dependencies"])
    dev_only = names(PYPROJECT["project"]["optional-dependencies"]["dev"]) - main
    assert main <= production.keys()
    assert not dev_only & production.keys(), "a dev tool would be installed in production"


def test_the_dev_lock_has_everything_at_the_same_versions_as_production():
    production, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert names(PYPROJECT["project"]["optional-dependencies"]["dev"]) <= dev.keys()
    assert {name: dev.get(name) for name in production} == production


def test_the_locks_are_up_to_date_with_pyproject():
    # A dependency added to pyproject.toml without `make lock` fails here, not in CI's install.
    uv = Path(sys.executable).parent / "uv"
    result = subprocess.run(
        [str(uv), "lock", "--check", "--offline", "--python", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    exported = subprocess.run(
        [str(uv), "export", "--frozen", "--no-emit-project", "--format", "requirements-txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pins("requirements.txt") == {
        canonicalize_name(n): v for n, v in PIN.findall(exported.stdout)
    }


def test_make_serve_installs_the_production_lock_only():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^serve: install-prod$", makefile, re.M)
    assert re.search(r"^migrate: install-prod$", makefile, re.M)
    prod_install = makefile.split("$(PROD_VENV)/.installed:")[1].split("\n\n")[0]
    assert "--require-hashes -r requirements.txt" in prod_install
    assert "dev" not in prod_install
