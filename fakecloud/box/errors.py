"""Box error bodies (``ClientError`` of the OpenAPI: type, status, code, message, context_info, help_url, request_id)."""

from __future__ import annotations

import secrets
from typing import Any

from fakecloud.web import Response, json_response

HELP = "https://developer.box.com/guides/api-calls/permissions-and-errors/common-errors/"


def box_error(status: int, code: str, message: str, context_info: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "error", "status": status, "code": code, "message": message,
                            "help_url": HELP, "request_id": secrets.token_hex(6)}
    if context_info is not None:
        body["context_info"] = context_info
    return json_response(status, body, headers)


def rate_limited(retry_after: float, status: int = 429) -> Response:
    if status == 429:
        return box_error(429, "rate_limit_exceeded", "Request rate limit exceeded, please try again later",
                         headers={"Retry-After": f"{retry_after:g}"})
    return box_error(status, "unavailable", "Unavailable", headers={"Retry-After": f"{retry_after:g}"})
