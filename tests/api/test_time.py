import pytest

from api import auth


def test_server_time_is_public_and_in_milliseconds(client, frozen_clock):
    response = client.get("/api/v1/time")
    assert response.status_code == 200
    assert response.json() == {"server_time": frozen_clock.ms}
    assert response["Cache-Control"] == "no-store, private"  # config/lean.py: every API answer


def test_server_time_is_now(client):
    before = auth.now_ms()
    served = client.get("/api/v1/time").json()["server_time"]
    assert before <= served <= auth.now_ms()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_405_with_allow(client, method):
    response = getattr(client, method)("/api/v1/time")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"
