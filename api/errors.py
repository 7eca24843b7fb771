"""The API's error vocabulary: every refusal is ``{"error": {"code", "message"[, "field"]}}``
with the status the API docs list for its code, and is never cached.

The gate (api/auth.py), the validation of bodies and queries (api/validation.py) and
the views all refuse through these, so a client sees one shape of error.
"""

from django.http import JsonResponse


class ApiError(Exception):
    """A refusal with the design's status and code; ``response()`` renders it."""

    def __init__(self, status: int, code: str, message: str, *, headers=None, field=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.field = field

    def response(self) -> JsonResponse:
        return error_response(
            self.status, self.code, self.message, headers=self.headers, field=self.field
        )


def error_response(status: int, code: str, message: str, *, headers=None, field=None):
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    response = JsonResponse({"error": error}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


# A database or cache outage: the answer is "try again shortly", not a bug report.
OUTAGE_RETRY_AFTER_SECONDS = 5


def service_unavailable():
    """The 503 for an outage, the same from the gate and from the 500 handler."""
    return error_response(
        503,
        "service_unavailable",
        "The service is unavailable for a moment; retry in a few seconds.",
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
    )


def invalid_request(field_name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_request", f"{field_name}: {message}", field=field_name)
