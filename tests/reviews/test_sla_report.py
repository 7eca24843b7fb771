"""manage.py sla_report: overdue and due-today applications, for a daily cron."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import ApplicationFactory, UserFactory


def run():
    out = StringIO()
    call_command("sla_report", stdout=out)
    return out.getvalue()


def due(name, days, **kwargs):
    return ApplicationFactory(
        user=UserFactory(username=name),
        due_on=timezone.localdate() + timedelta(days=days),
        **kwargs,
    )


def test_nothing_due_exits_cleanly(db):
    due("fine", 3)
    output = run()
    assert "Overdue (0)" in output
    assert "Due today (0)" in output
    assert "fine" not in output


def test_due_today_is_listed_but_not_a_failure(db):
    due("today", 0)
    output = run()
    assert "Due today (1)" in output
    assert "today" in output


def test_overdue_is_listed_and_exits_non_zero(db):
    due("late", -2, fast_track=True)
    due("today", 0)
    out = StringIO()

    with pytest.raises(CommandError, match="1 application\\(s\\) overdue") as raised:
        call_command("sla_report", stdout=out)

    assert raised.value.returncode == 1
    output = out.getvalue()
    assert "Overdue (1)" in output
    assert "late" in output
    assert "2 day(s) late" in output
    assert "fast track" in output


def test_decided_applications_are_never_overdue(db):
    due("done", -10, status="approved", decided_at=timezone.now())
    assert "done" not in run()
