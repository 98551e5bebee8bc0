"""TOTP setup: QR code and secret for the authenticator app, confirmed with a first code."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from kustos.accounts.services import twofactor
from kustos.audit import services as audit
from kustos.web.forms import TokenForm
from kustos.web.views.common import client_ip, safe_next


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if twofactor.confirmed_device(user) is not None:
        if not user.is_verified():
            return redirect("/login/otp/?next=/account/2fa/setup/")
        return render(request, "kustos/account/2fa_active.html", {})
    device = twofactor.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm(device, form.cleaned_data["token"]):
            device.refresh_from_db()
            otp_login(request, device)
            audit.record("auth.2fa_setup", actor=user, ip=client_ip(request))
            messages.success(request, _("Two-factor authentication is now active for your account."))
            return redirect(safe_next(request))
        audit.record("auth.2fa_setup", actor=user, outcome="failed", ip=client_ip(request))
        form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    svg = twofactor.qr_svg(device).encode()
    secret = twofactor.secret_base32(device)
    context = {
        "form": form,
        "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
        "required": twofactor.required(user),
        "next": safe_next(request, ""),
    }
    return render(request, "kustos/account/2fa_setup.html", context)
