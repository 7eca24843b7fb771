"""The client's IP address, as far as we can trust it."""

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str:
    """The address of the client that sent ``request``.

    With TRUSTED_PROXY_COUNT = 0 (the default) only the socket address counts: any
    X-Forwarded-For a client sends is its own invention and must never get past an
    IP whitelist. With N > 0, django-ipware takes the address our N proxies saw,
    ignoring whatever the client put in front of it.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    ip, _routable = get_client_ip(
        request,
        proxy_order="right-most",
        proxy_count=proxies,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
    )
    return ip or remote


def client_ip_for_ratelimit(request) -> str:
    # django-ratelimit's hook (RATELIMIT_IP_META_KEY): the same trusted address.
    return client_ip(request)
