"""Security notices by e-mail: what happened to the account, never a secret.

Each carries the account's anti-phishing phrase (set on the Security page; a
sub-account's notices carry its parent's), as exchanges do, so that the owner can tell
our e-mails from fakes. Sent once the action commits (``send_after_commit``): a mail
server that is down never undoes the action.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from .mail import send_after_commit


def phrase_of(user) -> str:
    owner = user.parent if user.parent_id else user
    return owner.anti_phishing_phrase


def send_notice(*, user, subject: str, lines: list[str], ip: str | None = None) -> None:
    ctx = {
        "user": user,
        "subject": subject,
        "lines": lines,
        "ip": ip,
        "now": timezone.now(),
        "phrase": phrase_of(user),
    }
    body = render_to_string("accounts/email/security_notice.txt", ctx)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    send_after_commit(message.send, what=subject)
