"""Security headers (Content-Security-Policy, HSTS in production) and the sign-in gates:
second factor, forced password change (one-time passwords), two-factor setup."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kustos.accounts.services import twofactor
from kustos.sso.services import signin as sso_signin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)

# Paths a logged-in user who still owes a second factor may reach.
_OPEN_PREFIXES = ("/login", "/logout", "/account/2fa", "/static/", "/i18n/", "/api/", "/password-reset",
                  "/healthz")
# Paths a user with a one-time password may reach before choosing a new one.
PASSWORD_PAGE = "/account/password/"
_PASSWORD_OPEN_PREFIXES = ("/login", "/logout", PASSWORD_PAGE, "/static/", "/i18n/", "/api/", "/healthz")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if settings.KUSTOS.production:
            # Also behind a TLS-terminating proxy (where request.is_secure() may be False);
            # browsers ignore the header on plain HTTP.
            response.setdefault("Strict-Transport-Security", HSTS)
        return response


def _verified(request: HttpRequest, user) -> bool:
    """A second factor was given: a TOTP code, or the identity provider asserted MFA (``amr``) at SSO sign-in."""
    return user.is_verified() or sso_signin.provider_asserted_mfa(request)


class TwoFactorMiddleware:
    """Before anything else: the second factor (users with a device), then a new password
    (users signed in with a one-time password), then 2FA setup (roles that require it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
            if not _verified(request, user) and twofactor.confirmed_device(user) is not None:
                return redirect(f"/login/otp/?{urlencode({'next': request.get_full_path()})}")
        if (user is not None and user.is_authenticated and user.must_change_password
                and not request.path.startswith(_PASSWORD_OPEN_PREFIXES)):
            return redirect(PASSWORD_PAGE)
        if (user is not None and user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES)
                and not (user.must_change_password and request.path.startswith(PASSWORD_PAGE))):
            if not _verified(request, user) and twofactor.required(user):
                return redirect("/account/2fa/setup/")
        return self.get_response(request)
