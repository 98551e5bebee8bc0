"""Small helpers for views that answer both full-page and htmx partial requests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page(request: HttpRequest, page: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    """Render ``partial`` for htmx requests and ``page`` otherwise; both vary on HX-Request
    so a cached partial is never served as a whole page."""
    response = render(request, partial if is_htmx(request) else page, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
