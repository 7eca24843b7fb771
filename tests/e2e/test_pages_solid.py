"""Every page solid in Chromium: the once-only secret is hard to lose, the account menu
closes when the user moves on, focus is visible, a form error puts the focus on a
summary, the error pages are the portal's (DEBUG off, as in production)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apikeys.models import ApiKey, AuditEvent
from tests.factories import ApiKeyFactory
from tests.helpers import screenshot, sign_in


def create_key(page, trader, totp, alias="grid-bot"):
    page.goto("/api-management/keys/new/")
    page.get_by_label("Alias Name").fill(alias)
    page.get_by_label("Whitelist IP").fill("203.0.113.7")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    return ApiKey.objects.get(alias=alias)


def test_secret_page_links_open_a_new_tab_and_the_secret_stays(page, live_server, trader, totp):
    sign_in(page, live_server, trader)
    apikey = create_key(page, trader, totp)
    with page.context.expect_page() as docs_tab:
        page.get_by_role("link", name="How to sign requests").click()
    expect(docs_tab.value.get_by_role("heading", name="API Documentation")).to_be_visible()
    docs_tab.value.close()
    # Still here, secret and all; every link but "I have saved it" opens a tab.
    expect(page.get_by_test_id("secret")).to_have_text(apikey.secret())
    links = page.locator("a[href]:not([href^='#'])")
    targets = links.evaluate_all("links => links.map(l => [l.textContent.trim(), l.target])")
    assert targets and all(t == "_blank" for name, t in targets if name != "I have saved it")
    assert ["I have saved it", ""] in targets


def test_secret_page_downloads_the_credentials_built_in_the_browser(
    page, live_server, trader, totp
):
    sign_in(page, live_server, trader)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    apikey = create_key(page, trader, totp)
    page.wait_for_load_state("networkidle")  # the page's own images and scripts are in
    requests.clear()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download credentials").click()
    assert download.value.url.startswith("blob:")
    assert download.value.suggested_filename == "grid-bot-api-key.txt"
    text = Path(download.value.path()).read_text()
    assert f"API key: {apikey.api_key}" in text
    assert f"Secret key: {apikey.secret()}" in text
    assert "IP whitelist: 203.0.113.7" in text and "Permissions: Read" in text
    assert not [url for url in requests if url.startswith(live_server.url)]  # nothing asked
    expect(page.get_by_role("status")).to_have_text(
        "Credentials downloaded as grid-bot-api-key.txt."
    )


def test_copy_buttons_say_what_they_copied(page, live_server, trader, totp):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, live_server, trader)
    apikey = create_key(page, trader, totp)
    page.locator('[data-copy="#new-api-key"]').click()
    expect(page.locator('[data-copy="#new-api-key"]')).to_have_text("API key copied")
    assert page.evaluate("navigator.clipboard.readText()") == apikey.api_key
    page.locator('[data-copy="#new-secret"]').click()
    expect(page.locator('[data-copy="#new-secret"]')).to_have_text("Secret key copied")
    expect(page.get_by_role("status")).to_have_text("Secret key copied to the clipboard.")


def test_leaving_the_secret_page_before_i_have_saved_it_asks_first(page, live_server, trader, totp):
    sign_in(page, live_server, trader)
    apikey = create_key(page, trader, totp)
    page.locator('[data-copy="#new-secret"]').click()  # the user has touched the page
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.evaluate("() => { location.href = '/assets/'; }")
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page.get_by_test_id("secret")).to_have_text(apikey.secret())  # stayed
    page.get_by_role("link", name="I have saved it").click()
    expect(page.get_by_role("heading", name="grid-bot")).to_be_visible()
    assert asked == ["beforeunload"]  # "I have saved it" leaves without asking


@pytest.mark.parametrize("how", ["outside click", "focus leaving", "Escape"])
def test_the_account_menu_closes_when_the_user_moves_on(page, live_server, owner, how):
    sign_in(page, live_server, owner)
    page.goto("/accounts/security/")
    menu = page.locator("details.usermenu")
    page.get_by_label("Account menu of owner").click()
    expect(menu).to_have_attribute("open", "")
    screenshot(page, "usermenu-open")
    if how == "outside click":
        page.get_by_role("heading", name="Security", exact=True).click()
    elif how == "focus leaving":
        page.get_by_role("link", name="Security", exact=True).focus()
        page.keyboard.press("Tab")  # past "Log out", out of the menu
        page.keyboard.press("Tab")
    else:
        page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")


FOCUS_DRAWN = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return [el.outerHTML.slice(0, 80), outline];
}"""


@pytest.mark.parametrize(
    "path", ["/api-management/", "/api-management/keys/new/", "/api-docs/", "/subaccounts/"]
)
def test_every_focusable_element_shows_where_the_focus_is(page, live_server, trader, path):
    ApiKeyFactory(user=trader, alias="grid-bot")
    sign_in(page, live_server, trader)
    page.goto(path)
    missing, seen = [], set()
    for _ in range(60):
        page.keyboard.press("Tab")
        element, drawn = page.evaluate(FOCUS_DRAWN)
        if element in seen or element.startswith("<body"):
            break
        seen.add(element)
        if not drawn:
            missing.append(element)
    assert len(seen) > 5
    assert not missing, f"no visible focus on: {missing}"


def test_current_navigation_item_shows_focus(page, live_server, owner):
    sign_in(page, live_server, owner)
    page.goto("/subaccounts/")
    current = page.locator('.mainnav a[aria-current="page"]')
    page.get_by_role("link", name="API Management").focus()
    page.keyboard.press("Tab")
    expect(current).to_be_focused()
    assert page.evaluate(FOCUS_DRAWN)[1]


def test_a_form_error_puts_the_focus_on_a_summary_linking_to_each_field(
    page, live_server, trader, totp
):
    sign_in(page, live_server, trader)
    page.goto("/api-management/keys/new/")
    page.get_by_label("Alias Name").fill("")
    page.get_by_label("Whitelist IP").fill("203.0.113.300")
    page.get_by_label("Google Authenticator code").fill(totp.code(trader))
    page.get_by_role("button", name="Create API").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("This form has 2 errors")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(1)).to_contain_text("Whitelist IP")
    screenshot(page, "form-error-summary")
    links.nth(1).click()
    expect(page.get_by_label("Whitelist IP")).to_be_focused()


@pytest.mark.parametrize(
    "path, heading",
    [
        ("/api-management/no-such-page/", "Page not found"),
        ("/api-management/apply/", "This address only takes a form"),
    ],
)
def test_error_pages_are_the_portals_own_in_the_browser(page, live_server, owner, path, heading):
    sign_in(page, live_server, owner)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshot(page, "error-" + re.sub(r"\W+", "-", heading.lower()))


CHANGE_ROWS = """cell => {
    const box = cell.getBoundingClientRect();
    const style = getComputedStyle(cell);
    const inner = box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {inner, rows: [...cell.querySelectorAll('.change')].map(row => {
        const r = row.getBoundingClientRect();
        return {left: r.left - box.left, top: r.top, bottom: r.bottom, width: r.width};
    })};
}"""


@pytest.mark.parametrize("width", [320, 390])
def test_audit_changes_on_a_phone_read_one_change_a_line_across_the_row(
    page, live_server, trader, width
):
    apikey = ApiKeyFactory(
        user=trader, alias="grid-bot", can_trade=True, ip_whitelist=["203.0.113.7"]
    )
    AuditEvent.record(
        AuditEvent.Action.MODIFIED,
        owner=trader,
        apikey=apikey,
        actor=trader,
        ip="203.0.113.7",
        changes={
            "permissions": {"before": ["read", "trade", "withdraw"], "after": ["read", "trade"]},
            "ip_whitelist": {
                "before": ["203.0.113.7"],
                "after": ["203.0.113.7", "198.51.100.0/24"],
            },
        },
    )
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, live_server, trader)
    page.goto(f"/api-management/keys/{apikey.code}/")
    cell = page.locator('[data-action="modified"] td.changes').first
    measured = cell.evaluate(CHANGE_ROWS)
    rows = measured["rows"]
    assert len(rows) == 2
    # Each change has the row to itself (not a squeezed column), one under the other.
    assert all(row["width"] >= measured["inner"] - 1 for row in rows), measured
    assert rows[1]["top"] >= rows[0]["bottom"] - 1, measured
    screenshot(page, f"audit-changes-{width}")
