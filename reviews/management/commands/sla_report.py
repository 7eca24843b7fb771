"""The review SLA's figures (as the admin's SLA dashboard shows them), then the overdue
and due-today API-trading applications, for a daily cron.

Exits non-zero when any application is overdue, so that cron (or whatever runs it)
raises the alarm; due-today ones are listed but are not yet a failure.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.desk import sla_figures
from reviews.services import due_for_attention


class Command(BaseCommand):
    help = "List overdue and due-today API-trading applications; exit 1 if any is overdue."

    def handle(self, *args, **options):
        today = timezone.localdate()
        overdue, due_today = due_for_attention(today=today)
        self.stdout.write(f"API-trading review SLA, {today:%a %d %b %Y}")
        self._figures(sla_figures(today=today))
        self._section(f"Overdue ({len(overdue)})", overdue, today)
        self._section(f"Due today ({len(due_today)})", due_today, today)
        if overdue:
            raise CommandError(f"{len(overdue)} application(s) overdue.")

    def _figures(self, figures):
        share = figures["on_time_share"]
        dash = "—"
        for label, value in [
            ("Pending", figures["pending"]),
            ("Due today", figures["due_today"]),
            ("Overdue", figures["overdue"]),
            (f"Decided in the last {figures['window_days']} days", figures["decided"]),
            ("Median business days to decision", figures["median_days"]),
            ("90th percentile business days to decision", figures["p90_days"]),
            ("Decided within the SLA", dash if share is None else f"{share:.0%}"),
        ]:
            self.stdout.write(f"  {label}: {dash if value is None else value}")
        weeks = " ".join(f"{week['on_time']}/{week['total']}" for week in figures["weeks"])
        self.stdout.write(f"  Decisions per week, within SLA/all, oldest first: {weeks}")

    def _section(self, title, applications, today):
        self.stdout.write(f"\n{title}")
        if not applications:
            self.stdout.write("  none")
        for application in applications:
            late = (today - application.due_on).days
            self.stdout.write(
                f"  {application.user.username:<20} {application.user.email:<32} "
                f"submitted {timezone.localdate(application.submitted_at):%Y-%m-%d}  "
                f"due {application.due_on:%Y-%m-%d}"
                + (f"  {late} day(s) late" if late > 0 else "")
                + ("  fast track" if application.fast_track else "")
            )
