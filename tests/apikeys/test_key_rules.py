"""The key rules (limit, alias, withdraw-needs-whitelist) are one function, which the
form asks before it spends the 2FA code and the service asks again under its lock."""

import pytest

from apikeys import services
from apikeys.forms import CreateApiKeyForm
from apikeys.whitelist import IpWhitelist
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db

# rule: (what the form is sent, what the service is asked)
CASES = {
    "limit": ({"alias": "new"}, {"alias": "new"}),
    "alias": ({"alias": "BOT"}, {"alias": "BOT"}),
    "withdraw": ({"alias": "new", "can_withdraw": "on"}, {"alias": "new", "can_withdraw": True}),
}


@pytest.mark.parametrize("rule", CASES)
def test_form_and_service_refuse_a_broken_rule_with_the_same_words(trader, totp, settings, rule):
    ApiKeyFactory(user=trader, alias="bot")
    if rule == "limit":
        settings.APIKEY_MAX_PER_ACCOUNT = 1
    form_fields, service_kwargs = CASES[rule]
    data = {"ip_whitelist": "", "key_choice": "hmac-sha256", "code": totp.code(trader)}
    form = CreateApiKeyForm({**data, **form_fields}, actor=trader, owner=trader)
    with pytest.raises(services.KeyRefused) as refused:
        services.create_key(owner=trader, actor=trader, whitelist=IpWhitelist(), **service_kwargs)
    assert not form.is_valid()
    field = refused.value.field or "__all__"
    assert form.errors[field] == [str(refused.value)]
    # Refused before the code was spent: the same code still works.
    assert "code" not in form.errors
