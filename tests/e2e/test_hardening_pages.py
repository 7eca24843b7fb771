"""Pages issue 10 changed, as a person sees them: turning 2FA off with a wrong
password or code, and an officer's own application in the admin."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.factories import ApplicationFactory
from tests.helpers import screenshot, sign_in


@pytest.mark.parametrize("size", ["page", "phone_page"])
def test_turning_2fa_off_with_a_wrong_password_says_one_thing(request, live_server, owner, size):
    page = request.getfixturevalue(size)
    sign_in(page, live_server, owner)
    page.goto("/accounts/security/")
    page.fill("#disable_password", "not my password")
    page.fill("#disable_code", "123456")
    page.get_by_role("button", name="Turn off 2FA").click()
    expect(page.get_by_text("The password or the code is not right.")).to_be_visible()
    screenshot(page, f"security-disable-refused-{size}")


def test_an_officer_sees_no_decision_buttons_on_their_own_application(page, live_server, owner):
    owner.is_staff = True
    owner.save()
    owner.groups.add(Group.objects.get(name="Compliance"))
    own = ApplicationFactory(user=owner)
    sign_in(page, live_server, owner)
    page.goto(f"/admin/reviews/application/{own.pk}/change/")
    expect(page.get_by_text("is your own account or one related to it")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    screenshot(page, "reviews-admin-own-application")
