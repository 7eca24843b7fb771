"""The show-once stash (core/showonce.py): one module for the API secret and the backup codes."""

from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings

from core import showonce


def test_stash_is_sealed_with_its_own_key_not_the_api_key_encryption_keys(settings):
    session = SessionStore()
    showonce.put(session, "slot", "aps_secret", tag="k")
    # Rotating the API secrets' keys must not touch a value on its way to its page.
    with override_settings(APIKEY_ENCRYPTION_KEYS=["x" * 43 + "="]):
        assert showonce.take(session, "slot", max_age_seconds=60) == "aps_secret"


def test_stash_is_spent_by_taking_it_once():
    session = SessionStore()
    showonce.put(session, "slot", "codes", tag="")
    assert showonce.waiting(session, "slot")
    assert showonce.take(session, "slot", max_age_seconds=60) == "codes"
    assert showonce.take(session, "slot", max_age_seconds=60) is None


def test_stash_for_another_page_is_not_waiting_for_this_one():
    session = SessionStore()
    showonce.put(session, "slot", "v", tag="a")
    assert not showonce.waiting(session, "slot", tag="b")


def test_a_forged_stash_is_nothing_not_a_500():
    session = SessionStore()
    session["slot"] = {"tag": "", "sealed": 7}
    assert showonce.take(session, "slot", max_age_seconds=60) is None
