from django import template

from api.usage import key_usage as _key_usage

register = template.Library()


@register.simple_tag
def key_usage(apikey):
    """``{% key_usage apikey as usage %}``: the usage panel's figures for one key.

    A tag rather than view context, so the key page can include the panel without
    knowing how usage is counted.
    """
    return _key_usage(apikey)
