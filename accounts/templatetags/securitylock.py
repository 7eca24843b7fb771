from django import template

from accounts.browsers import browser_of
from accounts.securitylock import security_lock_until

register = template.Library()


@register.inclusion_tag("accounts/_security_lock.html")
def security_lock_notice(user):
    """The lock and when it lifts, on the Security and API Management pages."""
    return {"until": security_lock_until(user)}


@register.filter
def browser(user_agent: str) -> str:
    """ "Chrome on Linux" from a User-Agent header."""
    return browser_of(user_agent or "")
