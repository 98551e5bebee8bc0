"""API authentication: per-user bearer tokens, or the dashboard session (with CSRF and 2FA)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from kustos.accounts.services import tokens, twofactor


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = tokens.authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class DashboardSession(APIKeyCookie):
    """The dashboard's session cookie; CSRF is checked for unsafe methods by ninja."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if twofactor.required(user) or twofactor.confirmed_device(user) is not None:
            if not user.is_verified():
                return None
        return user


AUTH = [BearerToken(), DashboardSession()]
