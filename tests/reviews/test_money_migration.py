"""Reviews 0004 carries the balance at submission over exactly into integer units."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.money import MoneyField
from reviews.models import Application

# Accounts goes back too: a user row written through the old state must fit the table.
BEFORE = [("reviews", "0003_compliance_group"), ("accounts", "0005_plain_text_note_and_label")]


def test_balance_at_submission_is_money_in_integer_units():
    assert isinstance(Application._meta.get_field("balance_usdt"), MoneyField)
    assert isinstance(Application._meta.get_field("threshold_usdt"), MoneyField)


@pytest.mark.django_db(transaction=True)
def test_existing_applications_keep_their_balance_exactly():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("accounts", "User").objects.create(username="legacy", email="l@e.x")
    old.get_model("reviews", "Application").objects.create(
        user_id=user.pk,
        submitted_at="2026-11-18T09:00:00Z",
        due_on="2026-11-25",
        balance_usdt=Decimal("1234567.12345678"),
        threshold_usdt=Decimal("50000"),
        fast_track=True,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    application = Application.objects.get(user_id=user.pk)
    assert application.balance_usdt == Decimal("1234567.12345678")
    assert application.threshold_usdt == Decimal("50000")
    assert application.purpose == ""  # asked of new applications only
