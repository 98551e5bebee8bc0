"""Security headers (Content-Security-Policy) and the two-factor gate."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kustos.accounts.services import twofactor

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)

# Paths a logged-in user who still owes a second factor may reach.
_OPEN_PREFIXES = ("/login", "/logout", "/account/2fa", "/static/", "/i18n/", "/api/", "/password-reset",
                  "/healthz")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class TwoFactorMiddleware:
    """Sends users whose role requires 2FA to verification or setup before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            if not user.is_verified():
                if twofactor.confirmed_device(user) is not None:
                    return redirect(f"/login/otp/?{urlencode({'next': request.get_full_path()})}")
                if twofactor.required(user):
                    return redirect("/account/2fa/setup/")
        return self.get_response(request)
