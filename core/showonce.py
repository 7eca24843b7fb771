"""Show once: a value on its way to the one page that displays it (an API secret, the
2FA backup codes).

The value waits in the session, which lives in the database, so it waits there only
encrypted (Fernet, with SHOW_ONCE_ENCRYPTION_KEY) and is readable for a few minutes.
``take`` removes it as it is read: a reload, the back button or a second visit find
nothing. ``render`` is the one way such a page is answered: never cached, never stored.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.shortcuts import render as django_render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_variables


@lru_cache(maxsize=2)
def _fernet(key: str) -> Fernet:
    return Fernet(key)


# sensitive_variables: an error report must not show the value (these frames hold it).
@sensitive_variables()
def put(session, slot: str, value: str, *, tag: str = "") -> None:
    """Keep ``value`` in ``slot`` for the page of ``tag`` (e.g. a key's code)."""
    sealed = _fernet(settings.SHOW_ONCE_ENCRYPTION_KEY).encrypt(value.encode()).decode()
    session[slot] = {"tag": tag, "sealed": sealed}


def waiting(session, slot: str, *, tag: str = "") -> bool:
    """Whether ``slot`` holds a value for ``tag`` (without spending it)."""
    stashed = session.get(slot)
    return isinstance(stashed, dict) and stashed.get("tag") == tag


@sensitive_variables()
def take(session, slot: str, *, max_age_seconds: int) -> str | None:
    """The value, removed from the session; None when absent, too old or unreadable."""
    stashed = session.pop(slot, None)
    if not isinstance(stashed, dict):
        return None
    try:
        token = stashed["sealed"].encode()
        return (
            _fernet(settings.SHOW_ONCE_ENCRYPTION_KEY).decrypt(token, ttl=max_age_seconds).decode()
        )
    except (KeyError, AttributeError, InvalidToken):
        return None


@sensitive_variables()
def render(request, template: str, ctx: dict):
    """The page that shows the value: no cache, no store, not even in the back button's."""
    response = django_render(request, template, ctx)
    add_never_cache_headers(response)
    return response
