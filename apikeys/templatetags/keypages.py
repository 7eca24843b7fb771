"""Template helpers for the key pages, which serve any account's keys (see KeyUrls)."""

from datetime import datetime

from django import template

register = template.Library()


@register.simple_tag
def key_url(urls, name, apikey=None):
    """``{% key_url urls "detail" apikey %}``: a key page's URL, wherever it lives."""
    return urls.url(name, apikey)


@register.filter
def works_until(value) -> str:
    """``{{ change.after|works_until }}``: an expiry (a datetime or the ISO text audit
    changes keep) written as everywhere else (``apikeys.models.works_until``)."""
    from apikeys.models import works_until as written

    if isinstance(value, str):
        return written(datetime.fromisoformat(value)) if value else written(None)
    return written(value)
