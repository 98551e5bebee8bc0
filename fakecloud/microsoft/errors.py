"""Error bodies in the documented shapes of the identity platform and of Graph."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fakecloud.web import Response, json_response


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Graph's JSON error: ``{"error": {"code", "message", "innerError": {...}}}``."""
    request_id = str(uuid.uuid4())
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request_id,
    }
    return json_response(status, {"error": {"code": code, "message": message, "innerError": inner}}, headers)


def aad_error(status: int, error: str, code: int, description: str) -> Response:
    """The identity platform's OAuth error (RFC 6749 shape plus AADSTS fields)."""
    trace = str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace}",
        "error_codes": [code],
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace,
        "correlation_id": str(uuid.uuid4()),
    }
    return json_response(status, body)
