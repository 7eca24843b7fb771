"""E-mail verification at sign-up, and sign-up that tells nobody who has an account.

The link carries a signed (user, address) pair, so it stops working when the address
changes, and it expires (``EMAIL_VERIFICATION_MAX_AGE``). Opening it shows a button:
the POST verifies, so a mail scanner that fetches every link verifies nothing.

An unverified account signs in and sees its pages, but may not apply for API trading or
create keys (``email_verified``); a sub-account follows its parent.
"""

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .mail import send_to_account
from .models import User

SALT = "accounts.emailverify"
UNVERIFIED_MESSAGE = "Verify your e-mail address first: open the link we sent you."


class LinkRefused(Exception):
    """A link that is malformed, expired, or for an address the account no longer has."""


def email_verified(user) -> bool:
    if not user.is_subaccount:
        return user.email_verified_at is not None  # the request's own copy: no query
    return User.objects.filter(pk=user.parent_id, email_verified_at__isnull=False).exists()


def verification_link_path(user) -> str:
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)
    return reverse("accounts:verify_email", args=[token])


def user_for_link(token: str) -> User:
    """The account whose address the link proves, or LinkRefused."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkRefused("expired") from None
    except signing.BadSignature:
        raise LinkRefused("malformed") from None
    user = User.objects.filter(pk=data.get("u"), parent__isnull=True, is_active=True).first()
    if user is None or user.email != data.get("e"):
        raise LinkRefused("expired")
    return user


def mark_verified(user) -> None:
    User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )


def send_verification(request, user) -> None:
    ctx = {"user": user, "link": request.build_absolute_uri(verification_link_path(user))}
    _send(user, "accounts/email/verify_email.txt", ctx, what="e-mail verification")


def send_signup_attempt(request, email: str) -> None:
    """The owner of a taken address hears that someone tried to sign up with it."""
    owner = User.objects.filter(email__iexact=email, parent__isnull=True).first()
    if owner is not None:
        ctx = {"login": request.build_absolute_uri(reverse("accounts:login"))}
        _send(owner, "accounts/email/signup_attempt.txt", ctx, what="sign-up attempt")


def _send(user, template: str, ctx: dict, *, what: str) -> None:
    subject, body = render_to_string(template, ctx).split("\n", 1)
    send_to_account(user=user, subject=subject, body=body, what=what)
