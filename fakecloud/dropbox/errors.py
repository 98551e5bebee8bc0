"""Dropbox error bodies: ``{"error_summary": "...", "error": {".tag": ...}}`` (409 for route errors)."""

from __future__ import annotations

from typing import Any

from fakecloud.web import Response, json_response


def _summary(error: dict[str, Any]) -> str:
    parts, node = [], error
    while isinstance(node, dict) and ".tag" in node:
        tag = node[".tag"]
        parts.append(tag)
        node = node.get(tag) if isinstance(node.get(tag), dict) else node.get("reason")
    return "/".join(parts) + "/..."


def route_error(error: dict[str, Any], status: int = 409, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error_summary": _summary(error), "error": error}, headers)


def path_not_found() -> Response:
    return route_error({".tag": "path", "path": {".tag": "not_found"}})


def bad_request(text: str) -> Response:
    """Dropbox answers malformed calls with 400 and a plain-text message."""
    return Response(400, f"Error in call to API function: {text}".encode(), {"Content-Type": "text/plain"})


def invalid_token() -> Response:
    return route_error({".tag": "invalid_access_token"}, 401)


def missing_scope(scope: str) -> Response:
    """AuthError ``missing_scope`` (401): the token lacks the permission the route needs."""
    return json_response(401, {"error_summary": "missing_scope/...",
                               "error": {".tag": "missing_scope", "required_scope": scope}})


def too_many_requests(retry_after: float, status: int = 429) -> Response:
    """Throttling: ``too_many_requests`` (429) or ``too_many_write_operations``, with Retry-After."""
    body = {"error_summary": "too_many_requests/...",
            "error": {"reason": {".tag": "too_many_requests"}, "retry_after": int(max(1, retry_after))}}
    return json_response(status, body, {"Retry-After": f"{retry_after:g}"})
