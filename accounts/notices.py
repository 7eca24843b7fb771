"""Security notices by e-mail: what happened to the account, never a secret.

Each names when, from which IP and in which browser it happened (the request that did
it), and carries the account's anti-phishing phrase (``accounts.mail.send_to_account``).
Sent once the action commits: a mail server that is down never undoes the action.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from core.net import client_ip

from .browsers import browser_of
from .mail import send_to_account


def send_notice(*, user, subject: str, lines: list[str], request=None) -> None:
    ctx = {"user": user, "lines": lines, "now": timezone.now()}
    if request is not None:
        ctx["ip"] = client_ip(request)
        ctx["browser"] = browser_of(request.META.get("HTTP_USER_AGENT", ""))
    body = render_to_string("accounts/email/security_notice.txt", ctx)
    send_to_account(user=user, subject=subject, body=body, what=subject)
