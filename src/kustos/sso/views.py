"""The three SSO sign-in URLs: start at a provider, the callback, and e-mail-first discovery."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kustos.sso.services import oidc_flow, providers, signin
from kustos.sso.services.errors import SsoError
from kustos.web.views.common import client_ip, safe_next

LOGIN = "/login/"


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri("/sso/callback")


@require_GET
def start(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = providers.get(provider_id)
    if provider is None:
        messages.error(request, _("This sign-in provider does not exist."))
        return redirect(LOGIN)
    try:
        url = oidc_flow.start(provider, request, redirect_uri=_redirect_uri(request), next_url=safe_next(request),
                              login_hint=request.GET.get("login_hint", "")[:254], ip=client_ip(request))
    except SsoError as error:
        messages.error(request, str(error))
        return redirect(LOGIN)
    return redirect(url)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    try:
        result = oidc_flow.finish(request, ip=client_ip(request))
    except SsoError as error:
        messages.error(request, str(error))
        return redirect(LOGIN)
    return redirect(signin.open_session(request, result.user, provider_id=result.provider.id, mfa=result.mfa,
                                        next_url=result.next))


@require_GET
def discover(request: HttpRequest) -> HttpResponse:
    email = request.GET.get("email", "").strip()[:254]
    provider = providers.for_email(email)
    if provider is None or provider.kind not in providers.OIDC_KINDS:
        messages.error(request, _("No single sign-on is set up for this e-mail address; sign in with your password."))
        return redirect(LOGIN + "?" + urlencode({"email": email}))
    query = urlencode({"login_hint": email, "next": safe_next(request)})
    return redirect(f"/sso/{provider.id}/start?{query}")
