"""Overdue and due-today API-trading applications, for a daily cron.

Exits non-zero when any application is overdue, so that cron (or whatever runs it)
raises the alarm; due-today ones are listed but are not yet a failure.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviews.services import due_for_attention


class Command(BaseCommand):
    help = "List overdue and due-today API-trading applications; exit 1 if any is overdue."

    def handle(self, *args, **options):
        today = timezone.localdate()
        overdue, due_today = due_for_attention(today=today)
        self.stdout.write(f"API-trading review SLA, {today:%a %d %b %Y}")
        self._section(f"Overdue ({len(overdue)})", overdue, today)
        self._section(f"Due today ({len(due_today)})", due_today, today)
        if overdue:
            raise CommandError(f"{len(overdue)} application(s) overdue.")

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
