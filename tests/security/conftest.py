"""The world the security tests attack: accounts in every role, with real objects.

- ``world``: the owner (2FA, approved application, an HMAC and an Ed25519 key, an
  address-book entry, an order, a sub-account with a key), an outsider (2FA, no
  sub-accounts), a rival parent (2FA, a sub-account with a key of its own), a user
  without 2FA, and a superuser with 2FA.
- ``role_client(world, role)``: a fresh client signed in as that role.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Asset, WithdrawalAddress
from api.models import Order
from tests.factories import (
    ApiKeyFactory,
    ApplicationFactory,
    SubaccountFactory,
    UserFactory,
    passkey_for,
    usdt,
)
from tests.helpers import with_2fa


@dataclass
class World:
    owner: object
    outsider: object
    rival: object
    no2fa: object
    superuser: object
    hmac_key: object
    ed_key: object
    sub: object
    sub_key: object
    rival_sub: object
    rival_sub_key: object
    address: object
    passkey: object
    order: object
    application: object
    pending_application: object

    def user_of(self, role):
        return {
            "no2fa": self.no2fa,
            "unverified": self.owner,
            "owner": self.owner,
            "other": self.outsider,
            "rival": self.rival,
            "admin": self.superuser,
        }[role]


@pytest.fixture
def world(owner, outsider):
    application = ApplicationFactory.approved(user=owner)
    usdt(owner, 1000)
    sub = SubaccountFactory(parent=owner, username="owner-desk1")
    rival = with_2fa(UserFactory(username="rival"))
    ApplicationFactory.approved(user=rival)
    rival_sub = SubaccountFactory(parent=rival, username="rival-desk1")
    hmac_key = ApiKeyFactory(user=owner, alias="hmac-bot", ip_whitelist=["127.0.0.1/32"])
    return World(
        owner=owner,
        outsider=outsider,
        rival=rival,
        no2fa=UserFactory(username="plain"),
        superuser=with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True)),
        hmac_key=hmac_key,
        # Disabled as idle: its "Enable" page shows the form (apikeys:enable uses it).
        ed_key=ApiKeyFactory(
            user=owner,
            alias="ed-bot",
            ed25519=True,
            disabled_at=timezone.now(),
            disabled_reason="idle",
        ),
        sub=sub,
        # Disabled as idle, so that its "Enable" form is on a page (hostile forms find it).
        sub_key=ApiKeyFactory(
            user=sub, alias="desk-bot", disabled_at=timezone.now(), disabled_reason="idle"
        ),
        rival_sub=rival_sub,
        rival_sub_key=ApiKeyFactory(user=rival_sub, alias="rival-bot"),
        address=WithdrawalAddress.objects.create(
            user=owner, asset=Asset.objects.get(symbol="USDT"), address="TAddr1234", label="cold"
        ),
        passkey=passkey_for(owner),
        order=Order.objects.create(
            user=owner,
            apikey=hmac_key,
            symbol="BTCUSDT",
            side="buy",
            type="market",
            quantity=Decimal("1"),
        ),
        application=application,
        pending_application=ApplicationFactory(user=outsider),
    )
