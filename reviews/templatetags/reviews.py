from django import template

from reviews.panel import application_panel as build_panel

register = template.Library()


@register.inclusion_tag("reviews/_application_panel.html", takes_context=True)
def application_panel(context, user, *, has_2fa):
    """``{% application_panel owner has_2fa=has_2fa %}``: the account's API-trading panel.

    The reviews app builds its own panel (a balance query and a form), so a page that
    shows it needs nothing from reviews but this tag.
    """
    return {
        "panel": build_panel(user),
        "has_2fa": has_2fa,
        "csrf_token": context.get("csrf_token"),
    }
