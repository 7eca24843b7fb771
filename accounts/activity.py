"""Devices and activity: every sign-in attempt (kept SIGNIN_HISTORY_DAYS), the
account's signed-in sessions, and signing sessions out.

Recorded from Django's own signals where they exist (``user_logged_in`` fires once a
sign-in is complete, after the 2FA step; ``user_login_failed`` on a wrong password) and
from the code step for a wrong code. A sign-in from an IP the account never signed in
from before is a security notice.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.net import client_ip

from .models import SignInEvent, User, UserSession
from .notices import send_notice


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def record(request, user, outcome: str, *, factor: str = "") -> SignInEvent:
    return SignInEvent.objects.create(
        user=user,
        ip=client_ip(request),
        user_agent=_agent(request),
        outcome=outcome,
        factor=factor,
    )


@receiver(user_logged_in, dispatch_uid="accounts.activity.signed_in")
def _signed_in(sender, request, user, **kwargs):
    if request is None or user.is_subaccount:
        return
    ip = client_ip(request)
    known = SignInEvent.objects.filter(user=user, outcome=SignInEvent.Outcome.OK)
    # No address (a test client's login, a misconfigured proxy): nothing to compare.
    if ip and known.exists() and not known.filter(ip=ip).exists():
        lines = ["Your account was signed in to from an IP address it never used before."]
        send_notice(user=user, subject="New sign-in to your account", lines=lines, request=request)
    # The view that completes a sign-in names what proved its second step.
    record(request, user, SignInEvent.Outcome.OK, factor=getattr(request, "signin_factor", ""))
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "ip": ip, "user_agent": _agent(request)},
    )


@receiver(user_login_failed, dispatch_uid="accounts.activity.wrong_password")
def _wrong_password(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or ""
    user = User.objects.filter(username=username, parent__isnull=True).first()
    if request is not None and user is not None:
        record(request, user, SignInEvent.Outcome.WRONG_PASSWORD)


def rekeyed(request, old_key: str | None) -> None:
    """The session got a new key (a password change cycles it): keep it in the list."""
    if old_key:
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key
        )


@receiver(user_logged_out, dispatch_uid="accounts.activity.signed_out")
def _signed_out(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


def _signed_in_as(session: Session, user) -> bool:
    """Whether Django would still take ``session`` for ``user``: a password change or
    reset signs the other sessions out at their next request, by their password hash."""
    data = session.get_decoded()
    return str(data.get(SESSION_KEY)) == str(user.pk) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def active_sessions(user) -> list[UserSession]:
    """The sessions of ``user`` that are signed in now (prune_activity drops the rest)."""
    rows = UserSession.objects.filter(user=user)
    sessions = Session.objects.filter(
        expire_date__gt=timezone.now(), session_key__in=rows.values("session_key")
    )
    live = {session.session_key for session in sessions if _signed_in_as(session, user)}
    return list(rows.filter(session_key__in=live))


def sign_out(user, *, sessions) -> int:
    """Sign out ``sessions`` (UserSession rows of ``user``): their Django sessions go."""
    keys = list(sessions.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def recent_sign_ins(user, *, limit: int = 20) -> list[SignInEvent]:
    return list(SignInEvent.objects.filter(user=user)[:limit])


def prune(*, now=None) -> tuple[int, int]:
    """Delete sign-ins older than SIGNIN_HISTORY_DAYS and the rows of ended sessions."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNIN_HISTORY_DAYS)
    events, _ = SignInEvent.objects.filter(at__lt=cutoff).delete()
    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    sessions, _ = UserSession.objects.filter(~Q(session_key__in=live)).delete()
    return events, sessions
