"""The client's IP address, as far as we can trust it."""

import ipaddress
from types import SimpleNamespace

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str:
    """The address of the client that sent ``request``.

    With TRUSTED_PROXY_COUNT = 0 (the default) only the socket address counts: any
    X-Forwarded-For a client sends is its own invention and must never get past an
    IP whitelist. With N > 0, each of our N proxies appends the address it saw to
    X-Forwarded-For, so the client is the N-th entry from the right, and anything
    to the left of it is whatever the client chose to send.

    django-ipware parses the addresses (ports, brackets, IPv4-mapped IPv6), but it
    is handed only the entries our proxies wrote: given the whole header, it either
    insists on an exact hop count (so an honest client behind one proxy would get
    the proxy's address) or, leniently, skips malformed entries, which lets a client
    shift the chain (or hide the real hop behind an unclosed quote) and pick its
    own address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(hops) >= proxies and hops[-proxies].strip():
            # ipware's proxy_count leaves out the client and the proxy that is
            # REMOTE_ADDR: the trusted tail is the client plus N - 1 proxies.
            trusted = ",".join(hops[-proxies:])
            ip = _parse("HTTP_X_FORWARDED_FOR", trusted, proxy_count=proxies - 1)
            return ip or remote
        # Not forwarded by all of our proxies: only the socket address is known.
    return _parse("REMOTE_ADDR", remote) or remote


def _parse(header: str, value: str, proxy_count: int | None = None) -> str | None:
    ip, _routable = get_client_ip(
        SimpleNamespace(META={header: value}),
        proxy_count=proxy_count,
        request_header_order=[header],
        strict=True,
    )
    return ip


def client_ip_for_ratelimit(request) -> str:
    # django-ratelimit's hook (RATELIMIT_IP_META_KEY): the same trusted address.
    return client_ip(request)


def valid_ip_or_none(ip: str) -> str | None:
    """``ip`` in canonical form, or None when it is not an address (for IP columns)."""
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None
