"""What the compliance desk reads: an applicant's profile and the SLA figures.

Read-only queries; the rules that change things stay in ``services``. Every figure of
the SLA dashboard is counted by the database in a fixed number of queries, so the page
costs the same at ten applications or ten thousand.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.apps import apps
from django.db.models import Count, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import balance_usdt

from .models import SLA, Application, sla_q

DECIDED_WINDOW_DAYS = 30
CHART_WEEKS = 12


# --- The applicant ------------------------------------------------------------


@dataclass(frozen=True)
class SecurityEvent:
    at: datetime
    what: str


def _twofa_events(user) -> list[SecurityEvent]:
    devices = TOTPDevice.objects.filter(user=user).exclude(created_at=None)
    return [
        SecurityEvent(
            device.created_at,
            f"2FA device “{device.name}” added" + ("" if device.confirmed else " (unconfirmed)"),
        )
        for device in devices
    ]


def _last_sign_in(user) -> list[SecurityEvent]:
    return [SecurityEvent(user.last_login, "Last sign-in")] if user.last_login else []


# Where an account's security events come from; a new log (sign-ins from new IPs, say)
# adds its function here: user -> [SecurityEvent].
SECURITY_EVENT_SOURCES = [_twofa_events, _last_sign_in]


def security_events(user, *, limit: int = 10) -> list[SecurityEvent]:
    events = [event for source in SECURITY_EVENT_SOURCES for event in source(user)]
    return sorted(events, key=lambda event: event.at, reverse=True)[:limit]


def twofa_since(user) -> datetime | None:
    first = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at").first()
    return first.created_at if first else None


def applicant_profile(application: Application) -> dict:
    """Everything the officer decides by, about ``application``'s account."""
    account = application.user
    ApiKey = apps.get_model("apikeys", "ApiKey")  # apikeys imports reviews, not the reverse
    subaccounts = list(account.subaccounts.order_by("username"))
    return {
        "account": account,
        "joined": account.date_joined,
        "email_verified_at": account.email_verified_at,
        "twofa_since": twofa_since(account),
        "balance_at_submission": application.balance_usdt,
        "balance_now": balance_usdt(account),
        "subaccounts": subaccounts,
        "keys": list(
            ApiKey.objects.filter(user__in=[account, *subaccounts])
            .select_related("user")
            .order_by("user__username", "created_at")
        ),
        "earlier": list(
            account.applications.exclude(pk=application.pk)
            .select_related("decided_by")
            .order_by("-submitted_at")
        ),
        "notes": list(application.notes.select_related("author")),
        "security_events": security_events(account),
    }


# --- The SLA dashboard ---------------------------------------------------------


def percentile(queryset, field: str, share: float, count: int) -> int | None:
    """The nearest-rank ``share`` percentile of ``field`` over ``count`` rows: one query,
    an ordered OFFSET, on any database (SQLite has no percentile function)."""
    if not count:
        return None
    rank = max(math.ceil(share * count), 1)
    return queryset.order_by(field).values_list(field, flat=True)[rank - 1]


def sla_figures(*, today: date | None = None, now: datetime | None = None) -> dict:
    """The SLA dashboard's numbers, in four queries whatever the number of applications."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    since = now - timedelta(days=DECIDED_WINDOW_DAYS)
    pending = Q(status=Application.Status.PENDING)
    recent = Q(decided_at__gte=since) & ~pending
    on_time = Q(decided_at__date__lte=F("due_on"))
    counts = Application.objects.aggregate(
        pending=Count("pk", filter=pending),
        due_today=Count("pk", filter=sla_q(SLA.DUE_TODAY, today)),
        overdue=Count("pk", filter=sla_q(SLA.OVERDUE, today)),
        decided=Count("pk", filter=recent),
        on_time=Count("pk", filter=recent & on_time),
        timed=Count("pk", filter=recent & Q(business_days__isnull=False)),
    )
    timed = Application.objects.filter(recent, business_days__isnull=False)
    return {
        **counts,
        "window_days": DECIDED_WINDOW_DAYS,
        "median_days": percentile(timed, "business_days", 0.5, counts["timed"]),
        "p90_days": percentile(timed, "business_days", 0.9, counts["timed"]),
        "on_time_share": counts["on_time"] / counts["decided"] if counts["decided"] else None,
        "weeks": weekly_decisions(today=today),
    }


def weekly_decisions(*, today: date) -> list[dict]:
    """Decisions per week (Monday to Sunday) for the last CHART_WEEKS weeks, and how many
    of them were on time; one query."""
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=CHART_WEEKS - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        Application.objects.exclude(status=Application.Status.PENDING)
        .filter(decided_at__gte=start)
        .annotate(week=TruncWeek("decided_at"))
        .values("week")
        .annotate(
            total=Count("pk"), on_time=Count("pk", filter=Q(decided_at__date__lte=F("due_on")))
        )
    )
    by_week = {_day(row["week"]): row for row in rows}
    weeks = []
    for n in range(CHART_WEEKS):
        monday = first + timedelta(weeks=n)
        row = by_week.get(monday, {"total": 0, "on_time": 0})
        total, on_time = row["total"], row["on_time"]
        late = total - on_time
        weeks.append({"monday": monday, "total": total, "on_time": on_time, "late": late})
    return weeks


def chart(weeks: list[dict], *, width: int = 720, height: int = 220) -> dict:
    """Bar geometry for the dashboard's SVG: on-time decisions below, late ones on top."""
    top = max([week["total"] for week in weeks] + [1])
    plot_h, left, bottom = height - 40, 36, height - 24
    slot = (width - left) / len(weeks)
    bars = []
    for n, week in enumerate(weeks):
        on_time_h = plot_h * week["on_time"] / top
        late_h = plot_h * week["late"] / top
        x = left + n * slot + slot * 0.15
        bars.append(
            {
                **week,
                "x": round(x, 1),
                "w": round(slot * 0.7, 1),
                "label_x": round(x + slot * 0.35, 1),
                "on_time_y": round(bottom - on_time_h, 1),
                "on_time_h": round(on_time_h, 1),
                "late_y": round(bottom - on_time_h - late_h, 1),
                "late_h": round(late_h, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "bottom": bottom,
        "left": left,
        "top": top,
        "bars": bars,
    }


def _day(value) -> date:
    return timezone.localdate(value) if isinstance(value, datetime) else value
