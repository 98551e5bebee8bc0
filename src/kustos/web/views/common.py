"""Shared bits for dashboard views: client address, safe redirect targets, language cookie."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from kustos.web import client_address


def client_ip(request: HttpRequest) -> str:
    """The client's address (X-Forwarded-For of a trusted proxy only): kustos.web.client_address."""
    return client_address.client_ip(request)


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """The ``next`` parameter when it points into this site, else ``default`` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def set_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response
