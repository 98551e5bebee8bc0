"""API authentication: per-user bearer tokens, or the dashboard session (with CSRF and 2FA).

An expired token answers 401 with a problem detail saying so; a user who signed in with a
one-time password gets 403 "password change required" until a new password is chosen."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from kustos.accounts.services import tokens, twofactor
from kustos.sso.services import signin as sso_signin

PASSWORD_CHANGE_REQUIRED = ("password change required: choose a new password first (dashboard: /account/password/, "
                            "API: POST /api/v1/me/password)")


PASSWORD_PATH = "/api/v1/me/password"  # the one operation open while a new password is owed


def _ready(request: HttpRequest, user):
    if user.must_change_password and request.path != PASSWORD_PATH:
        raise PermissionDenied(PASSWORD_CHANGE_REQUIRED)
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        try:
            user = tokens.authenticate(token)
        except tokens.TokenExpired as exc:
            raise HttpError(401, str(exc)) from None
        if user is None:
            return None
        request.user = user
        return _ready(request, user)


class DashboardSession(APIKeyCookie):
    """The dashboard's session cookie; CSRF is checked for unsafe methods by ninja."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if twofactor.required(user) or twofactor.confirmed_device(user) is not None:
            if not user.is_verified() and not sso_signin.provider_asserted_mfa(request):
                return None
        return _ready(request, user)


AUTH = [BearerToken(), DashboardSession()]
