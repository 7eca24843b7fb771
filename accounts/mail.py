"""E-mail that follows a committed action.

The action (a new key, a decision) is done once its transaction commits; the e-mail
only reports it. A mail server that is down, or a message it refuses, must not turn
a done action into an error page: the user would retry, or never see the secret of
a key that exists. So every such e-mail goes through ``send_after_commit``.
"""

import logging
from collections.abc import Callable

from django.db import transaction

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
