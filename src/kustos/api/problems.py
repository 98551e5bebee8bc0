"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kustos.search import IndexOutdated, InvalidRequest, QuerySyntaxError

TITLES = {400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
          409: "Conflict", 422: "Invalid input", 429: "Too many requests"}


def problem(api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra) -> HttpResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": request.path, **extra}
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def install(api: NinjaAPI) -> None:
    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(api, request, 404, str(exc) or "not found")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return problem(api, request, 403, str(exc) or "forbidden")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return problem(api, request, 401, "a valid API token (Authorization: Bearer …) or session is required")

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        return problem(api, request, 422, "; ".join(exc.messages))

    @api.exception_handler(QuerySyntaxError)
    def bad_query(request, exc):
        return problem(api, request, 400, f"invalid search query: {exc}")

    @api.exception_handler(InvalidRequest)
    def bad_search(request, exc):
        return problem(api, request, 400, str(exc))

    @api.exception_handler(IndexOutdated)
    def outdated_index(request, exc):
        return problem(api, request, 503, str(exc))

    @api.exception_handler(NinjaValidationError)
    def invalid_schema(request, exc):
        return problem(api, request, 422, "request does not match the schema", errors=exc.errors)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return problem(api, request, exc.status_code, str(exc))
