"""Two actions within one 30-second step with the same code: the second is refused, and
says why ("just used"), rather than "invalid". A wrong code still reads as before."""

from django.urls import reverse

from accounts.twofactor import JUST_USED
from tests.factories import ApiKeyFactory
from tests.helpers import form_data


def test_the_same_code_twice_is_refused_as_just_used(owner_client, trader, totp):
    code = totp.code(trader)
    first = owner_client.post(reverse("apikeys:new"), form_data(alias="first", code=code))
    assert first.status_code == 302
    second = owner_client.post(reverse("apikeys:new"), form_data(alias="second", code=code))
    assert second.status_code == 200
    assert JUST_USED in second.content.decode()
    assert not trader.apikeys.filter(alias="second").exists()


def test_a_wrong_code_is_not_called_just_used(owner_client, owner, totp):
    ApiKeyFactory(user=owner)
    code = totp.code(owner)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = owner_client.post(reverse("apikeys:delete_all"), {"code": wrong})
    html = response.content.decode()
    assert JUST_USED not in html and "Invalid or already used code." in html
