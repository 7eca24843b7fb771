from apikeys.models import ApiKey
from apikeys.services import add_to_whitelist
from tests.factories import ApiKeyFactory


def test_adding_an_ip_keeps_a_change_made_meanwhile(owner):
    apikey = ApiKeyFactory(user=owner, can_trade=True, ip_whitelist=["203.0.113.7/32"])
    stale = ApiKey.objects.get(pk=apikey.pk)  # the page was opened with Trade on
    ApiKey.objects.filter(pk=apikey.pk).update(can_trade=False)  # another tab revoked it

    add_to_whitelist(owner=owner, actor=owner, apikey=stale, address="198.51.100.9")

    fresh = ApiKey.objects.get(pk=apikey.pk)
    assert fresh.ip_whitelist == ["198.51.100.9/32", "203.0.113.7/32"]
    assert not fresh.can_trade
