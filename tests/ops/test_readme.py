"""The README's configuration table names every variable the settings read, and no other."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"env_str", "env_bool", "env_int", "env_list", "get", "getenv"}


def variables_read_by(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            # dj_database_url.config(env="DATABASE_URL", ...)
            found |= {
                k.value.value
                for k in node.keywords
                if k.arg == "env" and isinstance(k.value, ast.Constant)
            }
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if name in READERS and receiver in {"", "os.environ", "os"}:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            found.add(node.slice.value)
    return found


def variables_in_readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_readme_table_lists_every_variable_the_settings_and_gunicorn_read():
    read = variables_read_by(ROOT / "config/settings.py") | variables_read_by(
        ROOT / "gunicorn.conf.py"
    )
    assert "DJANGO_SECRET_KEY" in read and "SECURE_SSL_REDIRECT" in read  # the parser works
    documented = variables_in_readme_table()
    assert read - documented == set(), "read by the settings, missing from the README"
    assert documented - read - {"TEST_DATABASE_NAME", "TEST_REDIS_URL"} == set(), (
        "in the README, read by nothing"
    )


def test_every_scheduled_job_is_a_command_that_exists():
    from django.core.management import get_commands

    text = (ROOT / "README.md").read_text()
    schedule = text.split("### Schedule", 1)[1].split("\n## ", 1)[0]
    cron_lines = [line for line in schedule.splitlines() if re.match(r"^[0-9*]", line)]
    jobs = [re.search(r"manage\.py (\w+)", line).group(1) for line in cron_lines]
    assert {"sla_report", "clearsessions"} <= set(jobs)
    assert set(jobs) <= get_commands().keys()


def test_the_fernet_key_recipe_makes_a_fernet_key():
    from cryptography.fernet import Fernet

    text = (ROOT / "README.md").read_text()
    recipe = re.search(r"python3 -c '(import base64, os; [^']+)'", text).group(1)
    result = subprocess.run([sys.executable, "-c", recipe], capture_output=True, text=True)
    key = result.stdout.strip()
    Fernet(key)  # raises on anything that is not a Fernet key
    assert len(key) == 44
