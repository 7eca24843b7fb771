from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def review_holidays_are_dates(app_configs, **kwargs):
    """A mistyped holiday would silently move every due date: refuse it at start-up."""
    from .services import review_holidays

    try:
        review_holidays()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="reviews.E001")]
    return []
