"""The portal's own error pages beyond Django's handlers: a CSRF failure and a GET to a
POST-only address, both in the layout (templates/403_csrf.html, templates/405.html).

404, 403, 400 and 500 are Django's handlers finding our templates; a database or cache
outage is the 503 of ``config.ops.server_error``.
"""

from django.shortcuts import render
from django.urls import reverse

# Where a section's forms live: the way back from a POST-only address of that section.
FORM_PAGES = {
    "accounts": ("accounts:security", "Go to Security"),
    "reviews": ("apikeys:index", "Go to API Management"),
    "apikeys": ("apikeys:index", "Go to API Management"),
    "subaccounts": ("subaccounts:index", "Go to Sub-accounts"),
}


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the layout and a way back instead of Django's bare page."""
    return render(request, "403_csrf.html", status=403)


class MethodNotAllowedPageMiddleware:
    """A browser opening a POST-only portal address (a reload after a form error, a
    bookmark) gets the 405 in the layout with a link to its section's page, not an empty
    body. The signed API keeps its JSON 405, the admin its own answers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.method not in ("GET", "HEAD")
            or request.path.startswith(("/api/", "/admin/"))
            or response.content
        ):
            return response
        match = request.resolver_match
        name, label = FORM_PAGES.get(match.namespace if match else "", ("", ""))
        ctx = {"form_page": reverse(name) if name else "/", "form_page_name": label}
        page = render(request, "405.html", ctx, status=405)
        page["Allow"] = response["Allow"]
        return page
