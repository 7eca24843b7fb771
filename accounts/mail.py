"""E-mail to an account, sent once the action it reports commits.

The action (a new key, a decision) is done once its transaction commits; the e-mail
only reports it. A mail server that is down, or a message it refuses, must not turn
a done action into an error page: the user would retry, or never see the secret of
a key that exists. So every such e-mail goes through ``send_after_commit``.

Every e-mail to an account is built here, by ``send_to_account``: it puts the account's
anti-phishing phrase at the top (a sub-account's: its parent's), as exchanges do, so
that the owner can tell our e-mails from fakes. No e-mail can forget it.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send_after_commit(send: Callable[[], object], *, what: str) -> None:
    """Call ``send`` once the current transaction commits; log a failure and go on.

    The log line names the e-mail and the kind of error only: an exception's text may
    quote the message (a Subject, an address), and the log is no place for it.
    """

    def attempt():
        try:
            send()
        except Exception as error:  # noqa: BLE001 - any failure of the outside world
            logger.error("E-mail %r not sent: %s", what, type(error).__name__)

    transaction.on_commit(attempt)


def phrase_of(user) -> str:
    owner = user.parent if user.parent_id else user
    return owner.anti_phishing_phrase


def send_to_account(*, user, subject: str, body: str, what: str) -> None:
    """E-mail ``body`` to ``user``'s address under the phrase, once committed."""
    phrase = render_to_string("accounts/email/_phrase.txt", {"phrase": phrase_of(user)})
    text = f"{phrase.strip()}\n\n{body.strip()}\n"
    message = EmailMessage(subject.strip(), text, settings.DEFAULT_FROM_EMAIL, [user.email])
    send_after_commit(message.send, what=what)
