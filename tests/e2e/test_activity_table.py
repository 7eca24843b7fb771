"""The Recent activity table at desktop width: names and IP addresses stay whole on one
line; the Changes column is the one that wraps."""

from playwright.sync_api import expect

from apikeys.models import AuditEvent
from tests.factories import ApiKeyFactory
from tests.helpers import screenshot, sign_in

LINES = """cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


def test_by_and_ip_never_break_inside_a_name_or_an_address(page, live_server, trader):
    apikey = ApiKeyFactory(user=trader, alias="grid-bot", ip_whitelist=["203.0.113.7/32"])
    many = [f"198.51.100.{n}/32" for n in range(1, 40)]
    AuditEvent.record(
        AuditEvent.Action.MODIFIED,
        owner=trader,
        actor=trader,
        apikey=apikey,
        ip="127.0.0.1",
        changes={"ip_whitelist": {"before": ["203.0.113.7/32"], "after": many}},
    )
    sign_in(page, live_server, trader)
    page.goto("/api-management/")
    row = page.get_by_test_id("event").first
    expect(row).to_be_visible()
    screenshot(page, "activity-table-desktop")
    by, ip, changes = (row.locator(f'td[data-label="{name}"]') for name in ("By", "IP", "Changes"))
    assert by.evaluate(LINES) == 1
    assert ip.evaluate(LINES) == 1
    assert changes.evaluate(LINES) > 1
