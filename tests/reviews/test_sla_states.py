"""The SLA states are defined once: the database's filters and ranks agree with Python's."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.models import SLA, SLA_RANK, Application
from tests.factories import ApplicationFactory

TODAY = date(2026, 11, 18)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(offsets=st.lists(st.integers(-30, 30), min_size=1, max_size=6))
def test_queue_filters_and_ranks_agree_with_each_application_state(offsets):
    Application.objects.all().delete()
    for offset in offsets:
        ApplicationFactory(due_on=TODAY + timedelta(days=offset))
    ranked = Application.objects.with_queue_columns(today=TODAY)
    for application in ranked:
        state = application.sla_state(TODAY)
        assert application.sla_rank == SLA_RANK[state]
        assert Application.objects.sla(state, today=TODAY).filter(pk=application.pk).exists()
    assert sum(Application.objects.sla(s, today=TODAY).count() for s in SLA) == len(offsets)


@pytest.mark.django_db
def test_a_decided_application_has_no_sla_state_and_ranks_last():
    decided = ApplicationFactory.approved(due_on=TODAY - timedelta(days=3))
    assert decided.sla_state(TODAY) is None
    assert not any(Application.objects.sla(s, today=TODAY).exists() for s in SLA)
    assert Application.objects.with_queue_columns(today=TODAY).get().sla_rank == len(SLA)
