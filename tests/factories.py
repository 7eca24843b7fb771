"""factory-boy factories. Passwords are all ``PASSWORD``; tests use a fast hasher."""

from decimal import Decimal

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Asset, Balance, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"trader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class SubaccountFactory(UserFactory):
    username = factory.Sequence(lambda n: f"sub{n}")
    parent = factory.SubFactory(UserFactory)
    password = None

    @factory.post_generation
    def unusable_password(obj, create, extracted, **kwargs):
        obj.set_unusable_password()
        if create:
            obj.save(update_fields=["password"])


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Google Authenticator"
    confirmed = True


class AssetFactory(factory.django.DjangoModelFactory):
    """Assets are seeded by a migration: this fetches one, or makes a new symbol."""

    class Meta:
        model = Asset
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"TK{n}")
    name = factory.LazyAttribute(lambda a: f"Token {a.symbol}")
    usdt_price = Decimal("1")


class BalanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Balance

    user = factory.SubFactory(UserFactory)
    asset = factory.LazyFunction(lambda: Asset.objects.get(symbol="USDT"))
    amount = Decimal("100")


def usdt(user, amount) -> Balance:
    """Give ``user`` a USDT balance of ``amount``."""
    return BalanceFactory(user=user, amount=Decimal(str(amount)))
