"""The expiry date on Create API: every keyboard stop inside the date input, the
calendar button included, shows where the focus is."""

from playwright.sync_api import expect

from tests.helpers import screenshot, sign_in

OUTLINED = """input => {
    const style = getComputedStyle(input);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def test_each_stop_in_the_date_input_shows_the_focus(page, live_server, trader):
    sign_in(page, live_server, trader)
    page.goto("/api-management/keys/new/")
    date = page.locator('input[type="date"]')
    expect(date).to_be_visible()
    page.get_by_label("Alias Name").focus()
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        if date.evaluate("input => document.activeElement === input"):
            stops.append(date.evaluate(OUTLINED))
        elif stops:
            break
    page.keyboard.press("Shift+Tab")  # back to the last stop: the calendar button
    screenshot(page, "create-api-date-focus")
    assert len(stops) >= 2, "the date input is reached from the keyboard"
    assert all(stops), f"a stop without a visible focus: {stops}"
