"""Security notices by e-mail: what happened to the account, never a secret.

Each carries the account's anti-phishing phrase (``accounts.mail.send_to_account``).
Sent once the action commits: a mail server that is down never undoes the action.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from .mail import send_to_account


def send_notice(*, user, subject: str, lines: list[str], ip: str | None = None) -> None:
    ctx = {"user": user, "lines": lines, "ip": ip, "now": timezone.now()}
    body = render_to_string("accounts/email/security_notice.txt", ctx)
    send_to_account(user=user, subject=subject, body=body, what=subject)
