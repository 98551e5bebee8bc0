"""Google's error shapes: JSON API errors and OAuth 2.0 token-endpoint errors."""

from __future__ import annotations

from fakecloud.web import Response, json_response

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def api_error(status: int, reason: str, message: str, domain: str = "global",
              headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}],
                      "status": STATUS.get(status, "UNKNOWN")}}
    return json_response(status, body, headers)


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description})


def rate_limited(retry_after: float, status: int = 429) -> Response:
    return api_error(status, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits",
                     {"Retry-After": f"{retry_after:g}"})
