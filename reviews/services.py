"""API-trading applications: submitting one, the SLA clock, and deciding it.

The rules live here, in functions with keyword-only arguments; the views and the
admin only call them. The database has the last word on "one open application per
account" (a conditional unique constraint), so two submissions racing each other
can't both get through.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.emailverify import UNVERIFIED_MESSAGE, email_verified
from accounts.mail import send_to_account
from accounts.services import balance_usdt
from core import authstamp

from .models import SLA, Application, Note

SATURDAY = 5


class ApplicationRefused(Exception):
    """The account may not apply now; the message is safe to show to the trader."""


class AlreadyDecided(Exception):
    """Someone decided the application first; a decision is never overwritten."""


class OwnApplication(Exception):
    """The application is the reviewer's own account's, its parent's or a sub-account's."""


# --- The SLA clock ------------------------------------------------------------


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(start: date, days: int, *, holidays: Collection[date] = ()) -> date:
    """The date ``days`` business days after ``start``.

    Business days skip Saturdays, Sundays and ``holidays``. A start on a day off
    counts as if it were made on the next business day: a Saturday submission has
    the same due date as a Monday one.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    for _ in range(days):
        day += timedelta(days=1)
        while not is_business_day(day, holidays):
            day += timedelta(days=1)
    return day


def business_days_between(start: date, end: date, *, holidays: Collection[date] = ()) -> int:
    """Business days from ``start`` to ``end``, counted as ``add_business_days`` counts:
    a start on a day off counts from the next business day, and
    ``business_days_between(d, add_business_days(d, n)) == n``."""
    day = start
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    count = 0
    while day < end:
        day += timedelta(days=1)
        count += is_business_day(day, holidays)
    return count


def review_holidays() -> holidays.HolidayBase:
    """The days compliance does not work: ``settings.REVIEW_HOLIDAY_CALENDAR``'s public
    holidays (every year, observed days included), plus ``settings.REVIEW_HOLIDAYS``."""
    name = settings.REVIEW_HOLIDAY_CALENDAR
    try:
        if name in holidays.list_supported_financial():
            calendar = holidays.financial_holidays(name)
        else:
            calendar = holidays.country_holidays(name)
    except NotImplementedError:
        raise ImproperlyConfigured(
            f"REVIEW_HOLIDAY_CALENDAR {name!r} is neither a country nor a financial market "
            "the holidays package knows."
        ) from None
    try:
        extra = [date.fromisoformat(day) for day in settings.REVIEW_HOLIDAYS]
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"REVIEW_HOLIDAYS must be ISO dates (YYYY-MM-DD): {error}"
        ) from None
    calendar.update(dict.fromkeys(extra, "Compliance closed"))
    return calendar


def review_days(*, fast_track: bool) -> int:
    if fast_track:
        return settings.REVIEW_FAST_TRACK_BUSINESS_DAYS
    return settings.REVIEW_STANDARD_BUSINESS_DAYS


def decision_due_on(*, submitted_at: datetime, fast_track: bool) -> date:
    return add_business_days(
        timezone.localdate(submitted_at),
        review_days(fast_track=fast_track),
        holidays=review_holidays(),
    )


def reapply_on(application: Application) -> date | None:
    """The first day a rejected account may apply again (a calendar-day cool-down)."""
    if application.status != Application.Status.REJECTED or application.decided_at is None:
        return None
    cooldown = timedelta(days=settings.REVIEW_REAPPLY_COOLDOWN_DAYS)
    return timezone.localdate(application.decided_at) + cooldown


# --- The trader's side --------------------------------------------------------


def latest_application(user) -> Application | None:
    """The account's latest application; a sub-account's is its parent's."""
    return Application.objects.filter(user_id=user.parent_id or user.pk).first()


def is_approved(user) -> bool:
    """Whether API trading is approved for ``user`` (a sub-account: for its parent)."""
    return approves(latest_application(user))


def approves(latest: Application | None) -> bool:
    return latest is not None and latest.status == Application.Status.APPROVED


def refusal_reason(user, latest: Application | None, *, today: date | None = None) -> str | None:
    """Why ``user`` may not apply today, or None when it may."""
    if user.is_subaccount:
        return "Sub-accounts are covered by their main account's approval."
    if not email_verified(user):
        return UNVERIFIED_MESSAGE
    if latest is None:
        return None
    if latest.status == Application.Status.PENDING:
        return "Your application is already under review."
    if latest.status == Application.Status.APPROVED:
        return "API trading is already approved for this account."
    again = reapply_on(latest)
    if again and (today or timezone.localdate()) < again:
        return f"You may apply again from {date_format(again, 'j M Y')}."
    return None


# What the trader answers when applying (SubmitApplicationForm), stored on the application.
ANSWERS = ("purpose", "platform", "monthly_volume", "server_ips", "strategy")


@transaction.atomic
def submit_application(
    *, user, answers: dict | None = None, now: datetime | None = None
) -> Application:
    """Open an application for ``user`` with its ``answers``: snapshot its balance and
    start the SLA clock.

    Raises ApplicationRefused when the account may not apply now.
    """
    now = now or timezone.now()
    reason = refusal_reason(user, latest_application(user), today=timezone.localdate(now))
    if reason:
        raise ApplicationRefused(reason)
    balance = balance_usdt(user)
    threshold = settings.REVIEW_FAST_TRACK_THRESHOLD_USDT
    fast_track = balance >= threshold
    try:
        # A savepoint, so that losing the race leaves the outer transaction usable.
        with transaction.atomic():
            return Application.objects.create(
                user=user,
                submitted_at=now,
                due_on=decision_due_on(submitted_at=now, fast_track=fast_track),
                balance_usdt=balance,
                threshold_usdt=threshold,
                fast_track=fast_track,
                **{name: (answers or {}).get(name, "") for name in ANSWERS},
            )
    except IntegrityError:
        # Another request opened one between our check and our insert.
        raise ApplicationRefused("Your application is already under review.") from None


# --- The compliance side ------------------------------------------------------


@dataclass
class Decisions:
    """What a bulk decision did: the applications decided, the ones skipped (decided
    already), and the ones refused (the reviewer's own, see ``own_application_refusal``)."""

    decided: list[Application] = field(default_factory=list)
    skipped: list[Application] = field(default_factory=list)
    refused: list[Application] = field(default_factory=list)


def related_account_refusal(*, officer, account) -> str | None:
    """Why ``officer`` may not act on ``account``, or None when they may.

    Nobody acts on their own account, their parent's or one of their sub-accounts':
    approving, noting or (un)freezing oneself would make the desk a formality. The one
    rule for decisions, notes and freezes; the admin asks it to hide the buttons, and the
    services ask it again before they act.
    """
    if account.pk in (officer.pk, officer.parent_id) or account.parent_id == officer.pk:
        return (
            f"{account} is your own account or one related to it. Another officer must act on it."
        )
    return None


def own_application_refusal(*, reviewer, application: Application) -> str | None:
    """Why ``reviewer`` may not decide or note ``application`` (``related_account_refusal``)."""
    return related_account_refusal(officer=reviewer, account=application.user)


@transaction.atomic
def decide_application(
    *, application: Application, approve: bool, decided_by, note: str = ""
) -> Application:
    """Approve or reject ``application``, record who, when and why, and tell the trader.

    Raises AlreadyDecided when it was decided already, even by a request that got
    there a moment earlier: the update only touches a pending row. Raises
    OwnApplication when ``decided_by`` may not decide it (``own_application_refusal``).
    """
    refusal = own_application_refusal(reviewer=decided_by, application=application)
    if refusal:
        raise OwnApplication(refusal)
    note = note.strip()
    if not approve and not note:
        raise ValueError("A rejection needs a reason.")
    status = Application.Status.APPROVED if approve else Application.Status.REJECTED
    now = timezone.now()
    days = business_days_between(
        timezone.localdate(application.submitted_at),
        timezone.localdate(now),
        holidays=review_holidays(),
    )
    updated = Application.objects.filter(
        pk=application.pk, status=Application.Status.PENDING
    ).update(
        status=status,
        decided_by=decided_by,
        decided_at=now,
        decision_note=note,
        business_days=days,
    )
    if not updated:
        application.refresh_from_db()
        raise AlreadyDecided(f"{application.user} was already {application.status}.")
    application.refresh_from_db()
    verb = "Approved" if approve else f"Rejected. Reason given to the trader: {note}"
    log_history(application, actor=decided_by, message=verb)
    send_decision_email(application)
    return application


@transaction.atomic
def decide_applications(
    *, applications: Iterable[Application], approve: bool, decided_by, note: str = ""
) -> Decisions:
    """Decide every pending application among ``applications``; skip the decided ones."""
    result = Decisions()
    for application in applications:
        try:
            decide_application(
                application=application, approve=approve, decided_by=decided_by, note=note
            )
        except AlreadyDecided:
            result.skipped.append(application)
        except OwnApplication:
            result.refused.append(application)
        else:
            result.decided.append(application)
    return result


def log_history(obj, *, actor, message: str) -> None:
    """A line in the admin's "History" of ``obj``: who, when, what."""
    LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


@transaction.atomic
def add_note(*, application: Application, author, text: str) -> Note:
    """An internal note on ``application``; the trader never sees it. Only while pending:
    a decided application is a closed record."""
    text = text.strip()
    if not text:
        raise ValueError("A note needs some text.")
    if refusal := own_application_refusal(reviewer=author, application=application):
        raise OwnApplication(refusal)
    if not Application.objects.filter(pk=application.pk, status=Application.Status.PENDING):
        raise AlreadyDecided(f"{application.user}'s application is decided; it takes no notes.")
    note = Note.objects.create(application=application, author=author, text=text)
    log_history(application, actor=author, message=f"Internal note: {text}")
    return note


COMPLIANCE_GROUP = "Compliance"


def is_compliance(user) -> bool:
    """Compliance officers and superusers: the desk's dashboard and account actions."""
    return user.is_active and (
        user.is_superuser or user.groups.filter(name=COMPLIANCE_GROUP).exists()
    )


def frozen_refusal(account) -> str | None:
    """Why ``account``'s keys may do nothing (it or its main account is frozen), or None.

    The one wording of a freeze: the API's refusal, key creation's and the portal's banner.
    """
    if account.is_frozen:
        return f"This {'sub-account' if account.parent_id else 'account'} is frozen."
    if account.parent_id and account.parent.is_frozen:
        return "This sub-account's main account is frozen."
    return None


@transaction.atomic
def set_frozen(*, account, frozen: bool, officer, reason: str):
    """Freeze ``account`` (and so its sub-accounts and every key under it: the API asks
    ``owner_refusal``, which refuses them) or unfreeze it; the reason goes into the
    account's history and the e-mail to the trader."""
    reason = reason.strip()
    if not reason:
        raise ValueError("Give a reason.")
    if not is_compliance(officer):
        raise PermissionError("Only compliance officers may freeze accounts.")
    if refusal := related_account_refusal(officer=officer, account=account):
        raise OwnApplication(refusal)
    User = type(account)
    User.objects.filter(pk=account.pk).update(is_frozen=frozen)
    authstamp.bump(account.pk)  # its keys and its sub-accounts' keys
    account.refresh_from_db(fields=["is_frozen"])
    verb = "Frozen" if frozen else "Unfrozen"
    log_history(account, actor=officer, message=f"{verb} by compliance. Reason: {reason}")
    ctx = {"user": account, "frozen": frozen, "reason": reason}

    subject = render_to_string("reviews/email/frozen_subject.txt", ctx).strip()
    body = render_to_string("reviews/email/frozen_body.txt", ctx)
    send_to_account(user=account, subject=subject, body=body, what="account freeze")
    return account


def send_decision_email(application: Application) -> None:
    ctx = {
        "application": application,
        "user": application.user,
        "approved": application.status == Application.Status.APPROVED,
        "reapply_on": reapply_on(application),
    }
    subject = render_to_string("reviews/email/decision_subject.txt", ctx).strip()
    body = render_to_string("reviews/email/decision_body.txt", ctx)
    send_to_account(user=application.user, subject=subject, body=body, what="review decision")


def due_for_attention(*, today: date | None = None) -> tuple[list, list]:
    """Pending applications that are overdue, and those due today, oldest due first."""
    today = today or timezone.localdate()
    applications = Application.objects.select_related("user")
    overdue = list(applications.sla(SLA.OVERDUE, today=today).order_by("due_on", "submitted_at"))
    due_today = list(applications.sla(SLA.DUE_TODAY, today=today).order_by("submitted_at"))
    return overdue, due_today
