"""Template helpers for the key pages, which serve any account's keys (see KeyUrls)."""

from django import template

register = template.Library()


@register.simple_tag
def key_url(urls, name, apikey=None):
    """``{% key_url urls "detail" apikey %}``: a key page's URL, wherever it lives."""
    return urls.url(name, apikey)
