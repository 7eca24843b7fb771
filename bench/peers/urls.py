"""One endpoint per peer, each answering a small JSON like our GET /api/v1/key."""

from django.urls import path
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_api_key.permissions import HasAPIKey


@api_view(["GET"])
@authentication_classes([TokenAuthentication])
@permission_classes([IsAuthenticated])
def token_key(request):
    token = request.auth
    return Response(
        {
            "alias": request.user.username,
            "api_key": token.key[:8],
            "key_type": "token",
            "created": token.created.isoformat(),
        }
    )


@api_view(["GET"])
@authentication_classes([])
@permission_classes([HasAPIKey])
def api_key(request):
    # HasAPIKey checks the key and keeps nothing: answer the same few fields.
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return Response({"api_key": header.split()[-1][:8], "key_type": "api-key"})


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def server_time(request):
    import time

    return Response({"server_time": time.time_ns() // 1_000_000})


urlpatterns = [
    path("token/key", token_key),
    path("apikey/key", api_key),
    path("time", server_time),
]
