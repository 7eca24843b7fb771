"""What the templates write once: the 2FA code input (one partial, one CSS rule) and an
API key's table row (the key list and the sub-accounts' overview)."""

import re
from pathlib import Path

import pytest

from subaccounts.services import create_subaccount
from tests.factories import ApiKeyFactory

ROOT = Path(__file__).resolve().parents[2]


def test_the_2fa_code_input_is_written_in_one_partial_only():
    writers = sorted(
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
        if 'autocomplete="one-time-code"' in path.read_text()
    )
    assert writers == ["_code_field.html"]


def test_the_2fa_code_input_is_styled_by_one_css_rule():
    css = re.sub(r"/\*.*?\*/", "", (ROOT / "static" / "css" / "app.css").read_text(), flags=re.S)
    rules = [
        selector
        for selector in re.findall(r"([^{}]+)\{", css)
        if "code-input" in selector or "one-time-code" in selector or '[name="code"]' in selector
    ]
    assert [rule.strip() for rule in rules] == [".code-input"]


@pytest.mark.django_db
def test_a_key_reads_the_same_in_the_key_list_and_the_subaccount_overview(owner_client, owner):
    sub = create_subaccount(parent=owner, name="desk")
    key = ApiKeyFactory(user=sub, alias="grid-bot", ip_whitelist=["203.0.113.7"])
    listed = owner_client.get(f"/subaccounts/{sub.subaccount.code}/api-management/")
    overview = owner_client.get("/subaccounts/keys/")

    def cells(response):
        html = response.content.decode()
        row = re.search(r'<tr data-testid="[a-z-]+" data-alias="grid-bot">(.*?)</tr>', html, re.S)
        return re.findall(r'<td data-label="([^"]+)"', row.group(1))

    assert cells(overview) == ["Sub-account", *cells(listed)]
    assert f'aria-label="Copy API key of {key.alias}"' in overview.content.decode()
