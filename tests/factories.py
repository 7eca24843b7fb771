"""factory-boy factories. Passwords are all ``PASSWORD``; tests use a fast hasher."""

import os
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import SUBACCOUNT_EMAIL_DOMAIN, Asset, Balance, User
from apikeys import keys

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"trader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)
    # An account as it is once its owner opened the sign-up e-mail's link.
    email_verified_at = factory.LazyFunction(timezone.now)


class SubaccountFactory(UserFactory):
    """A sub-account: managed by its parent, no usable password."""

    username = factory.Sequence(lambda n: f"sub{n}")
    # As subaccounts.services.create_subaccount makes it: a reserved, never e-mailed domain.
    email = factory.LazyAttribute(lambda sub: f"{sub.username}@{SUBACCOUNT_EMAIL_DOMAIN}")
    parent = factory.SubFactory(UserFactory)
    password = factory.LazyFunction(lambda: make_password(None))
    # The random code its URLs carry (subaccounts.Subaccount).
    profile = factory.RelatedFactory(
        "tests.factories.SubaccountProfileFactory", factory_related_name="user"
    )


class SubaccountProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subaccounts.Subaccount"


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


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An API-trading application; ``approved()`` for an account that may create keys."""

    class Meta:
        model = "reviews.Application"

    user = factory.SubFactory(UserFactory)
    status = "pending"
    submitted_at = factory.LazyFunction(timezone.now)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=5))
    balance_usdt = Decimal("1000")
    threshold_usdt = Decimal("50000")
    fast_track = False

    @classmethod
    def approved(cls, **kwargs):
        kwargs.setdefault("decided_at", timezone.now())
        return cls(status="approved", **kwargs)


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """An API key with real key material.

    The plain secret (HMAC) or private key PEM (Ed25519) is left on the instance as
    ``plain_secret`` / ``private_pem`` for signing requests in tests; only the
    encrypted secret or the public key reach the database.
    """

    class Meta:
        model = "apikeys.ApiKey"

    class Params:
        ed25519 = factory.Trait(key_type="ed25519")

    user = factory.SubFactory(UserFactory)
    created_by = factory.LazyAttribute(lambda k: k.user.parent or k.user)
    alias = factory.Sequence(lambda n: f"bot-{n}")
    api_key = factory.LazyFunction(keys.new_api_key)
    key_type = "hmac-sha256"
    can_trade = False
    can_withdraw = False
    ip_whitelist = factory.List([])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plain_secret = private_pem = None
        if kwargs.get("key_type") == "ed25519":
            private_pem, kwargs["public_key"] = keys.new_ed25519_pair()
        else:
            plain_secret = keys.new_hmac_secret()
            kwargs["secret_encrypted"] = keys.encrypt_secret(plain_secret)
            kwargs["secret_digest"] = keys.secret_digest(plain_secret)
        obj = super()._create(model_class, *args, **kwargs)
        obj.plain_secret, obj.private_pem = plain_secret, private_pem
        return obj


def passkey_for(user, name="Work laptop"):
    """A passkey row as django-otp-webauthn stores one (the browser ceremony itself is
    driven in tests/e2e/test_passkey_journey.py with Chromium's virtual authenticator)."""
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=os.urandom(32),
        public_key=b"not-a-real-cose-key",
        sign_count=0,
        aaguid="00000000-0000-0000-0000-000000000000",
    )
