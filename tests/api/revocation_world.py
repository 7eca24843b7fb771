"""The world of the cross-worker revocation tests, run inside the served project.

``python manage.py shell -c "from tests.api.revocation_world import run; run('make')"``
creates the keys and prints them as JSON; ``run('<change>', key_id)`` applies one change
through the same service the portal or the compliance desk calls.
"""

import json

from accounts.models import User
from apikeys import services as key_services
from apikeys.models import ApiKey
from apikeys.services import Grace
from apikeys.whitelist import IpWhitelist
from reviews import services as review_services
from subaccounts import services as sub_services
from tests.factories import ApiKeyFactory, SubaccountFactory, UserFactory

SCENARIOS = (
    "delete_key",
    "drop_trade",
    "whitelist_elsewhere",
    "roll_without_grace",
    "end_grace",
    "leaked",
    "freeze_account",
    "freeze_subaccount",
    "freeze_parent",
    "unfreeze_account",
    "deactivate_account",
    "deactivate_parent",
)


def make() -> dict:
    made = {}
    for name in SCENARIOS:
        owner = SubaccountFactory() if "subaccount" in name or "parent" in name else UserFactory()
        key = ApiKeyFactory(user=owner, can_trade=True, ip_whitelist=["127.0.0.1/32"])
        secret = key.plain_secret
        if name == "end_grace":  # the bot still signs with the secret before the roll
            key_services.roll_secret(owner=owner, actor=owner, apikey=key, grace=Grace.DAY)
        if name == "unfreeze_account":
            User.objects.filter(pk=owner.pk).update(is_frozen=True)
        made[name] = {"id": key.pk, "api_key": key.api_key, "secret": secret}
    return made


def change(name: str, key_id: int) -> None:
    apikey = ApiKey.objects.select_related("user", "user__parent").get(pk=key_id)
    owner = apikey.user
    actor = owner.parent or owner
    if name == "delete_key":
        key_services.delete_key(owner=owner, actor=actor, apikey=apikey)
    elif name in ("drop_trade", "whitelist_elsewhere"):
        whitelist = IpWhitelist.parse("127.0.0.1" if name == "drop_trade" else "198.51.100.7")
        key_services.modify_key(
            owner=owner,
            actor=actor,
            apikey=apikey,
            alias=apikey.alias,
            can_trade=name != "drop_trade",
            can_withdraw=False,
            whitelist=whitelist,
        )
    elif name == "roll_without_grace":
        key_services.roll_secret(owner=owner, actor=actor, apikey=apikey, grace=Grace.NONE)
    elif name == "end_grace":
        key_services.end_grace(owner=owner, actor=actor, apikey=apikey)
    elif name == "leaked":
        key_services.revoke_leaked_secret(token=apikey.secret(), url="https://example.com/x")
    elif name in ("deactivate_account", "deactivate_parent"):
        # As the admin's user page saves it: the whole row.
        account = owner.parent if name == "deactivate_parent" else owner
        account.is_active = False
        account.save()
    elif name in ("freeze_account", "unfreeze_account"):
        officer = User.objects.create_superuser(name, f"{name}@example.com", "x" * 20)
        frozen = name == "freeze_account"
        review_services.set_frozen(account=owner, frozen=frozen, officer=officer, reason="Test")
    elif name == "freeze_subaccount":
        sub_services.set_frozen(subaccount=owner, frozen=True)
    elif name == "freeze_parent":
        officer = User.objects.create_superuser("officer2", "officer2@example.com", "x" * 20)
        review_services.set_frozen(account=owner.parent, frozen=True, officer=officer, reason="T")
    else:
        raise ValueError(name)


def run(action: str, key_id: int | None = None) -> None:
    if action == "make":
        print(json.dumps(make()))
    else:
        change(action, key_id)
        print("done")
