"""Reject… and Freeze on a phone: an empty reason leaves the focus on the reason box,
with the error below it (not on <body> with the error above the label)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_reviews_journey import compliance_officer
from tests.factories import ApplicationFactory, UserFactory
from tests.helpers import screenshot, sign_in


@pytest.mark.parametrize("action", ["reject", "freeze"])
def test_an_empty_reason_keeps_the_focus_on_the_reason(phone_page, live_server, action):
    application = ApplicationFactory(user=UserFactory(username="victim88661"))
    sign_in(phone_page, live_server, compliance_officer())
    if action == "reject":
        phone_page.goto(f"/admin/reviews/application/{application.pk}/reject/")
        phone_page.get_by_role("button", name="Reject").click()
    else:
        phone_page.goto(f"/admin/reviews/application/account/{application.user.pk}/freeze/")
        phone_page.get_by_role("button", name="Freeze victim88661").click()
    reason = phone_page.get_by_role("textbox", name="Reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_accessible_description("This field is required.")
    error = phone_page.locator(".errorlist").first
    assert error.bounding_box()["y"] > reason.bounding_box()["y"]
    screenshot(phone_page, f"desk-{action}-empty-reason-phone")
