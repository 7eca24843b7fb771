"""A form in error is announced once: the error summary (static/js/app.js, role="alert")
speaks; the field errors it lists are there to read, not announced a second time."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

SUMMARISED = re.compile(r'<p class="field-error"[^>]*id="[^"]*_error"[^>]*>')


def test_signup_field_errors_do_not_announce_themselves(client, db):
    empty = {"username": "", "email": "", "password": ""}
    response = client.post(reverse("accounts:signup"), empty)
    errors = SUMMARISED.findall(response.content.decode())
    assert errors, "the signup form should show field errors"
    assert not [error for error in errors if "role=" in error]


def test_no_template_gives_a_summarised_field_error_a_role():
    templates = Path(settings.BASE_DIR) / "templates"
    offenders = [
        f"{path.relative_to(templates)}: {line.strip()[:80]}"
        for path in templates.rglob("*.html")
        for line in path.read_text().splitlines()
        if "field-error" in line and "_error" in line and 'role="alert"' in line
    ]
    assert offenders == []
