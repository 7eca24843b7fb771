"""Bulk actions in the admin take a selection of ids: anything else is a message."""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.test import Client

from tests.factories import UserFactory
from tests.helpers import verified_client, with_2fa


@pytest.mark.parametrize("selected", ["", "x", "1 OR 1=1", "\x00"])
def test_a_bulk_action_on_a_selection_that_is_not_ids_is_a_message_not_a_500(rf, db, selected):
    superuser = with_2fa(UserFactory(username="root", is_staff=True, is_superuser=True))
    client = verified_client(Client(), superuser)
    request = rf.get("/")
    request.user = superuser
    tried = []
    for model, model_admin in admin.site._registry.items():
        for action in model_admin.get_actions(request):
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [selected], "index": "0"}
            response = client.post(url, data, follow=True)
            assert response.status_code == 200, (url, action)
            assert "The selection was not understood." in response.content.decode(), (url, action)
            tried.append(action)
    assert "approve_selected" in tried or len(tried) > 3, tried
