"""Compliance staff: a member of the "Compliance" group, signed in to the admin with 2FA."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory
from tests.helpers import verified_client, with_2fa


@pytest.fixture
def compliance(db):
    user = with_2fa(UserFactory(username="compliance", is_staff=True))
    user.groups.add(Group.objects.get(name="Compliance"))
    return user


@pytest.fixture
def compliance_client(compliance):
    from django.test import Client

    return verified_client(Client(), compliance)
