from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("api-docs/", views.docs, name="docs"),
    path("api-docs/test-signature/", views.test_signature, name="test_signature"),
    path("api/v1/time", views.server_time, name="time"),
    path("api/v1/key", views.key_info, name="key"),
    path("api/v1/account", views.account, name="account"),
    path("api/v1/orders", views.orders, name="orders"),
    path("api/v1/orders/<str:order_id>", views.cancel_order, name="order"),
    path("api/v1/withdrawals", views.withdrawals, name="withdrawals"),
    path("api/v1/leaks", views.leak_report, name="leaks"),
    path("api/v1/openapi.json", views.openapi_json, name="openapi"),
    # Bots get JSON, never an HTML error page, for a path that does not exist.
    path("api/<path:rest>", views.not_found),
]
